"""Volunteering's rules: consent first, explainable matching, limits, and provable erasure."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from aiokafka import ConsumerRecord
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import func
from sqlmodel import select

from services.volunteering import handlers
from services.volunteering.consumers import CONSUMES, FORGETS
from services.volunteering.models import (
    ActivityCreate,
    HoursCreate,
    Match,
    MatchRequest,
    OrganisationCreate,
    VolunteerCreate,
)
from services.volunteering.store import TABLES, VolunteeringStore
from shared.contracts.envelope import Envelope
from shared.contracts.events import CATALOGUE
from shared.contracts.events.employment import PlacementEnded
from shared.contracts.events.settlement import (
    AgeGroup,
    ConsentWithdrawn,
    HouseholdMemberAdded,
    NewcomerDeparted,
    VolunteerContact,
)
from shared.errors import Conflict, Invalid
from shared.runtime.db import Database
from shared.runtime.inbox import EventConsumer, InboxEntry
from tests.agency import AgencyOnStore, fresh_store
from tests.factories import mentor_requested, settled

T = TypeVar("T")
TODAY = date.today()


class RedCross(AgencyOnStore[VolunteeringStore]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, VolunteeringStore)
        self.organisation: UUID | None = None

    async def volunteer(self, name: str, **more: Any) -> UUID:
        if self.organisation is None:
            self.organisation = (
                await self(
                    handlers.create_organisation,
                    OrganisationCreate(name="Røde Kors Oslo", kind="red_cross", municipality_code="0301"),
                )
            ).id
        values = {
            "organisation_id": self.organisation,
            "name": name,
            "languages": ["nb"],
            "age_band": "30-44",
            "district": "Alna",
            "hours_per_month": 8,
            "roles": ["friend"],
            **more,
        }
        return (await self(handlers.register_volunteer, VolunteerCreate(**values))).id

    async def settle(
        self, *, consent: bool = True, age_group: AgeGroup = AgeGroup.ADULT, household: UUID | None = None
    ) -> UUID:
        event = settled(
            district="Grorud",
            settled_on=TODAY,
            age_group=age_group,
            volunteer_contact_consent=consent,
            household_id=household,
        )
        await self.deliver(event)
        return event.newcomer_id

    async def deliver(self, event: Any, *, source: str = "/samvirke/settlement") -> None:
        """Through the real consumer, inbox included."""
        envelope = Envelope.wrap(event, source=source)
        await self.consumer.consume(_record(envelope, envelope.data))

    async def tombstone(self, event_type: Any, newcomer_id: UUID) -> None:
        envelope = Envelope(
            id=str(uuid4()),
            source="/samvirke/settlement",
            type=event_type.type,
            subject=str(newcomer_id),
            time=datetime.now(UTC),
            data=b"",
        )
        await self.consumer.consume(_record(envelope, None))

    async def request_of(self, newcomer_id: UUID) -> MatchRequest:
        async with self.database.session() as session:
            [request] = (
                await session.exec(select(MatchRequest).where(MatchRequest.newcomer_id == newcomer_id))
            ).all()
        return request

    async def inbox_size(self) -> int:
        async with self.database.session() as session:
            return (await session.exec(select(func.count()).select_from(InboxEntry))).one()


def _record(envelope: Envelope, value: bytes | None) -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(
        topic=CATALOGUE[envelope.type].topic,  # where its publisher writes it
        partition=0,
        offset=0,
        timestamp=0,
        timestamp_type=0,
        key=envelope.key,
        value=value,
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=[(k, v.encode()) for k, v in envelope.headers().items()],
    )


@pytest.fixture
async def red_cross(database_url: str) -> AsyncIterator[RedCross]:
    async def dead_letter(record: Any, reason: str) -> None:
        raise AssertionError(f"dead-lettered: {reason}")

    async with fresh_store(database_url, [*TABLES, InboxEntry.__table__]) as database:  # type: ignore[attr-defined]
        office = RedCross(database)
        office.consumer = EventConsumer(
            name="volunteering",
            database=database,
            handlers=CONSUMES,
            forget=FORGETS,  # type: ignore[attr-defined]
            dead_letters=dead_letter,
            tracer=TracerProvider().get_tracer("t"),
        )
        yield office


async def test_nothing_about_a_newcomer_without_consent_lands_here_not_even_in_the_inbox(
    red_cross: RedCross,
) -> None:
    newcomer = await red_cross.settle(consent=False)
    await red_cross.deliver(NewcomerDeparted(newcomer_id=newcomer, reason="other", departed_on=TODAY))
    await red_cross.deliver(
        mentor_requested(newcomer_id=newcomer, requested_on=TODAY),
        source="/samvirke/employment",
    )
    report = await red_cross(handlers.privacy_report, newcomer)
    assert report.rows_held == {
        "consented_newcomer": 0,
        "match_request": 0,
        "match": 0,
        "worklist_task": 0,
        "outbox": 0,
    }
    assert await red_cross.inbox_size() == 0
    assert await red_cross.published() == []


@pytest.mark.parametrize(("group", "kind"), [(AgeGroup.ADULT, "friend"), (AgeGroup.CHILD, "leisure_buddy")])
async def test_a_consenting_newcomer_gets_one_request_of_the_right_kind(
    red_cross: RedCross, group: AgeGroup, kind: str
) -> None:
    newcomer = await red_cross.settle(age_group=group)
    assert (await red_cross.request_of(newcomer)).kind == kind
    [(opened, _), (task, changed)] = await red_cross.published()
    assert (opened, task) == ("match-request.opened.v1", "task.changed.v1")
    assert (changed["kind"], changed["status"], changed["assigned"]) == ("match_request", "open", False)


async def test_a_child_in_a_consenting_household_is_offered_leisure_and_sports(red_cross: RedCross) -> None:
    household = uuid4()
    await red_cross.settle(household=household)
    child = uuid4()
    await red_cross.deliver(
        HouseholdMemberAdded(
            newcomer_id=child,
            household_id=household,
            relation="child",
            age_group="child",
            via_family_reunification=True,
            household_consents_to_volunteer_contact=True,
        )
    )
    request = await red_cross.request_of(child)
    assert (request.kind, request.source, request.municipality_code) == ("leisure_buddy", "household", "0301")
    stranger = uuid4()
    await red_cross.deliver(
        HouseholdMemberAdded(
            newcomer_id=stranger,
            household_id=uuid4(),
            relation="child",
            age_group="child",
            via_family_reunification=True,
            household_consents_to_volunteer_contact=False,
        )
    )
    assert (await red_cross(handlers.privacy_report, stranger)).rows_held["consented_newcomer"] == 0


async def test_candidates_are_ranked_and_each_score_is_explained(red_cross: RedCross) -> None:
    newcomer = await red_cross.settle()
    await red_cross.deliver(
        VolunteerContact(
            newcomer_id=newcomer,
            given_name="Yonas",
            phone="+4740000000",
            languages=["ti", "en"],
            municipality_code="0301",
            district="Grorud",
        )
    )
    near = await red_cross.volunteer(
        "Ingrid", languages=["nb", "en"], district="Grorud", interests=["football"]
    )
    await red_cross.volunteer("Per", languages=["nb"], district="Alna", hours_per_month=2)
    await red_cross.volunteer("Kari", roles=["homework_helper"])  # not a friend
    request = await red_cross.request_of(newcomer)
    await red_cross(lambda store: _set_interests(store, request.id, ["Football"]))
    ranked = await red_cross(handlers.rank, await red_cross.request_of(newcomer), TODAY)
    assert [c.name for c in ranked] == ["Ingrid", "Per"]
    assert ranked[0].volunteer_id == near
    assert {p.part: p.points for p in ranked[0].parts} == {
        "language": 3,
        "interests": 1,
        "district": 2,
        "availability": 1,
    }
    assert [p.why for p in ranked[1].parts] == ["2 h/month < 8"]
    assert ranked[1].score == -2


async def _set_interests(store: VolunteeringStore, request_id: UUID, interests: list[str]) -> None:
    request = await store.get_request(request_id)
    assert request is not None
    request.interests = interests


async def test_a_match_goes_proposed_accepted_active_ended_and_hours_are_logged(red_cross: RedCross) -> None:
    newcomer = await red_cross.settle()
    volunteer = await red_cross.volunteer("Ingrid")
    request = await red_cross.request_of(newcomer)
    match = await red_cross(handlers.propose, request.id, volunteer, TODAY)
    with pytest.raises(Conflict, match="only a accepted match can start"):
        await red_cross(handlers.activate, match.id, TODAY)
    await red_cross(handlers.accept, match.id, TODAY)
    await red_cross(handlers.activate, match.id, TODAY)
    await red_cross(handlers.log_hours, match.id, HoursCreate(logged_on=TODAY, hours=2.5))
    with pytest.raises(Invalid, match="between the match's start and today"):
        await red_cross(
            handlers.log_hours, match.id, HoursCreate(logged_on=TODAY + timedelta(days=1), hours=1)
        )
    ended = await red_cross(handlers.end, match.id, "A year together, as planned", TODAY)
    assert (ended.status, ended.end_reason) == ("ended", "A year together, as planned")
    events = await red_cross.published()
    assert [e for e, _ in events] == [
        "match-request.opened.v1",
        "task.changed.v1",  # the request's task raised
        "task.changed.v1",  # and done once the volunteer accepted
        "friend.matched.v1",
        "match.ended.v2",
    ]
    assert [data["status"] for e, data in events if e == "task.changed.v1"] == ["open", "done"]  # type: ignore[index]
    assert events[-1][1]["hours_logged"] == 2.5  # type: ignore[index]


async def test_a_volunteers_load_limit_holds(red_cross: RedCross) -> None:
    volunteer = await red_cross.volunteer("Ingrid", max_active_matches=1)
    first, second = await red_cross.settle(), await red_cross.settle()
    await red_cross(handlers.propose, (await red_cross.request_of(first)).id, volunteer, TODAY)
    with pytest.raises(Conflict, match="has 1 of at most 1 matches"):
        await red_cross(handlers.propose, (await red_cross.request_of(second)).id, volunteer, TODAY)
    assert await red_cross(handlers.rank, await red_cross.request_of(second), TODAY) == []


async def test_work_with_children_needs_a_recent_background_check(red_cross: RedCross) -> None:
    child = await red_cross.settle(age_group=AgeGroup.CHILD)
    unchecked = await red_cross.volunteer("Per", roles=["leisure_buddy"])
    stale = await red_cross.volunteer(
        "Kari", roles=["leisure_buddy"], background_check_on=TODAY - timedelta(days=4 * 365)
    )
    checked = await red_cross.volunteer(
        "Ola", roles=["leisure_buddy"], background_check_on=TODAY - timedelta(days=30)
    )
    request = await red_cross.request_of(child)
    assert [c.volunteer_id for c in await red_cross(handlers.rank, request, TODAY)] == [checked]
    for volunteer in (unchecked, stale):
        with pytest.raises(Conflict, match="background check"):
            await red_cross(handlers.propose, request.id, volunteer, TODAY)
    await red_cross(handlers.propose, request.id, checked, TODAY)


async def test_the_job_centres_mentor_request_is_matched_by_occupation_and_ends_with_the_placement(
    red_cross: RedCross,
) -> None:
    newcomer = await red_cross.settle()
    placement = uuid4()
    await red_cross.deliver(
        mentor_requested(newcomer_id=newcomer, placement_id=placement, requested_on=TODAY),
        source="/samvirke/employment",
    )
    nurse = await red_cross.volunteer("Ingrid", roles=["language_mentor"], occupation_code="5322")
    await red_cross.volunteer("Per", roles=["language_mentor"], occupation_code="5321")
    async with red_cross.database.session() as session:
        [request] = (
            await session.exec(select(MatchRequest).where(MatchRequest.kind == "language_mentor"))
        ).all()
    ranked = await red_cross(handlers.rank, request, TODAY)
    assert [(c.name, [p.part for p in c.parts if p.part == "occupation"]) for c in ranked] == [
        ("Ingrid", ["occupation"]),
        ("Per", ["occupation"]),
    ]
    assert ranked[0].score > ranked[1].score
    match = await red_cross(handlers.propose, request.id, nurse, TODAY)
    await red_cross(handlers.accept, match.id, TODAY)
    mentored = [d for e, d in await red_cross.published() if e == "language-mentor.matched.v1"]
    assert mentored[0]["placement_id"] == str(placement)  # type: ignore[index]
    await red_cross.deliver(
        PlacementEnded(newcomer_id=newcomer, placement_id=placement, ended_on=TODAY),
        source="/samvirke/employment",
    )
    assert (await red_cross(VolunteeringStore.existing, Match, match.id)).end_reason == "placement ended"


async def test_withdrawal_ends_matches_and_erases_the_newcomer_provably(red_cross: RedCross) -> None:
    household = uuid4()
    parent = await red_cross.settle(household=household)
    await red_cross.deliver(
        VolunteerContact(
            newcomer_id=parent,
            given_name="Amira",
            phone="+4740000000",
            languages=["ar"],
            municipality_code="0301",
            district="Grorud",
        )
    )
    child = uuid4()
    await red_cross.deliver(
        HouseholdMemberAdded(
            newcomer_id=child,
            household_id=household,
            relation="child",
            age_group="child",
            via_family_reunification=False,
            household_consents_to_volunteer_contact=True,
        )
    )
    volunteer = await red_cross.volunteer("Ingrid")
    match = await red_cross(handlers.propose, (await red_cross.request_of(parent)).id, volunteer, TODAY)
    await red_cross(handlers.accept, match.id, TODAY)
    await red_cross(handlers.activate, match.id, TODAY)
    await red_cross(handlers.log_hours, match.id, HoursCreate(logged_on=TODAY, hours=3))

    await red_cross.deliver(
        ConsentWithdrawn(newcomer_id=parent, purpose="volunteer_contact", withdrawn_at=datetime.now(UTC))
    )
    await red_cross.tombstone(VolunteerContact, parent)

    for person in (parent, child):
        report = await red_cross(handlers.privacy_report, person)
        held = {k: v for k, v in report.rows_held.items() if k != "outbox"}
        assert held == {"consented_newcomer": 0, "match_request": 0, "match": 0, "worklist_task": 0}
        assert [e.reason for e in report.erasures] == (
            ["consent withdrawn"] if person == parent else ["household consent withdrawn"]
        )
    anonymous = await red_cross(VolunteeringStore.existing, Match, match.id)
    assert (anonymous.newcomer_id, anonymous.status, anonymous.end_reason) == (
        None,
        "ended",
        "consent withdrawn",
    )
    assert await red_cross(lambda store: store.hours_of(match.id)) == 3, "the volunteer's hours still count"


async def test_departure_erases_and_activities_hold_only_counts(red_cross: RedCross) -> None:
    newcomer = await red_cross.settle()
    await red_cross.deliver(NewcomerDeparted(newcomer_id=newcomer, reason="left_country", departed_on=TODAY))
    assert (await red_cross(handlers.privacy_report, newcomer)).rows_held["consented_newcomer"] == 0
    await red_cross.volunteer("Ingrid")
    assert red_cross.organisation is not None
    with pytest.raises(Invalid, match="cannot exceed"):
        await red_cross(
            handlers.record_activity,
            ActivityCreate(
                organisation_id=red_cross.organisation,
                name="Språkkafé",
                kind="language_cafe",
                held_on=TODAY,
                participants=5,
                newcomer_participants=6,
            ),
        )
    cafe = await red_cross(
        handlers.record_activity,
        ActivityCreate(
            organisation_id=red_cross.organisation,
            name="Språkkafé",
            kind="language_cafe",
            held_on=TODAY,
            participants=14,
            newcomer_participants=9,
        ),
    )
    assert (cafe.participants, cafe.newcomer_participants) == (14, 9)


async def test_contact_and_settlement_in_either_order_open_one_request_of_the_right_kind(
    red_cross: RedCross,
) -> None:
    child = uuid4()
    contact = VolunteerContact(
        newcomer_id=child,
        given_name="Lina",
        phone=None,
        languages=["ar"],
        municipality_code="0301",
        district="Grorud",
        age_group="child",
    )
    await red_cross.deliver(contact)  # the per-person topic can be read before settlement.events
    await red_cross.deliver(
        settled(newcomer_id=child, district="Grorud", settled_on=TODAY, age_group="child")
    )
    request = await red_cross.request_of(child)
    assert (request.kind, request.languages) == ("leisure_buddy", ["ar"])
