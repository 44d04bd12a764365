"""The job centre's rules, each checked against a real store through the handlers."""

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from services.employment import handlers
from services.employment.models import (
    Case,
    Closure,
    EmployerCreate,
    FollowUpCreate,
    JobPlanSet,
    MappingSet,
    Outcome,
    PlacementCreate,
    PlacementEnd,
)
from services.employment.store import TABLES, EmploymentStore
from shared.contracts.events.education import LevelAssessed
from shared.contracts.events.settlement import ArrivalRoute, NewcomerDeparted, NewcomerSettled
from shared.contracts.events.volunteering import LanguageMentorMatched
from shared.domain.statutory import Country, load_rule_sets
from shared.errors import Conflict, Invalid
from shared.runtime.db import Database
from shared.runtime.worklist import Worklist, WorkTask
from tests.agency import AgencyOnStore, fresh_store
from tests.factories import absence_alert, moved, settled

T = TypeVar("T")
TODAY = date.today()


class JobCentre(AgencyOnStore[EmploymentStore]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, EmploymentStore)

    async def case(self, newcomer_id: UUID) -> Case:
        return await self.row(Case, newcomer_id)

    async def open(
        self, *, code: str = "0301", settled_on: date = TODAY - timedelta(days=30), **more: Any
    ) -> UUID:
        event = settled(
            municipality_code=code,
            district="Sentrum",
            settled_on=settled_on,
            volunteer_contact_consent=False,
            **more,
        )
        await self(_open_case, event)
        return event.newcomer_id

    async def employer(self, number: str = "912345678", min_level: str | None = None) -> UUID:
        data = EmployerCreate(
            name="Lillehammer helsehus",
            organisation_number=number,
            municipality_code="3405",
            min_language_level=min_level,
        )
        return (await self(handlers.register_employer, data)).id

    async def level(self, newcomer_id: UUID, level: str) -> None:
        await self(
            handlers.note_language_level,
            LevelAssessed(
                newcomer_id=newcomer_id, skill="speaking", level=level, tested_on=TODAY, overall_level=level
            ),
        )


def placement(employer_id: UUID, **more: Any) -> PlacementCreate:
    values = {
        "employer_id": employer_id,
        "kind": "work_practice",
        "occupation_code": "5322",
        "starts_on": TODAY,
        "ends_on": TODAY + timedelta(days=90),
        "hours_per_week": 30,
        "professional_mentor": "Kari Nordmann",
        **more,
    }
    return PlacementCreate(**values)


RULE_SETS = load_rule_sets()


async def _open_case(store: EmploymentStore, event: NewcomerSettled) -> Any:
    return await handlers.open_case(store, event, rule_sets=RULE_SETS)


@pytest.fixture
async def centre(database_url: str) -> AsyncIterator[JobCentre]:
    async with fresh_store(database_url, TABLES) as database:
        yield JobCentre(database)


async def test_mapping_records_education_and_work_with_the_assessed_language_level(centre: JobCentre) -> None:
    newcomer = await centre.open()
    await centre.level(newcomer, "A2")
    data = MappingSet(
        education_level="vocational",
        work_experience=[{"occupation_code": "7212", "years": 6}, {"occupation_code": "8322", "years": 2.5}],
        driving_licence=True,
        entrepreneurial_experience=True,
        completed_on=TODAY,
    )
    mapping = await centre(handlers.complete_mapping, newcomer, data)
    assert mapping.language_level == "A2"
    [(_, event)] = [e for e in await centre.published(newcomer) if e[0] == "mapping.completed.v1"]
    assert (event["years_of_work_experience"], event["occupation_codes"], event["language_level"]) == (
        8.5,
        ["7212", "8322"],
        "A2",
    )
    with pytest.raises(ValidationError):
        MappingSet(education_level="phd", completed_on=TODAY)


async def test_a_job_plan_has_a_goal_activities_and_later_reviews(centre: JobCentre) -> None:
    newcomer = await centre.open()
    plan = await centre(
        handlers.agree_job_plan,
        newcomer,
        JobPlanSet(
            goal_kind="occupation",
            goal="5322",
            activities=["Work practice", "Norwegian B1"],
            review_dates=[TODAY + timedelta(days=60)],
            agreed_on=TODAY,
        ),
    )
    assert plan.goal == "5322"
    with pytest.raises(ValidationError, match="review_dates"):
        JobPlanSet(
            goal_kind="education", goal="Fagbrev", activities=["x"], review_dates=[TODAY], agreed_on=TODAY
        )


async def test_a_placement_needs_the_language_level_the_employer_asks_for(centre: JobCentre) -> None:
    newcomer = await centre.open()
    employer = await centre.employer(min_level="B1")
    with pytest.raises(Conflict, match="requires CEFR B1, and the newcomer has no language assessment yet"):
        await centre(handlers.start_placement, newcomer, placement(employer))
    await centre.level(newcomer, "A2")
    with pytest.raises(Conflict, match="requires CEFR B1; the newcomer's assessed level is A2"):
        await centre(handlers.start_placement, newcomer, placement(employer))
    await centre.level(newcomer, "B1")
    started = await centre(
        handlers.start_placement, newcomer, placement(employer, language_learning_at_work=True)
    )
    [(_, event)] = [e for e in await centre.published(newcomer) if e[0] == "placement.started.v1"]
    assert (event["placement_id"], event["language_learning_at_work"]) == (str(started.id), True)


async def test_a_placement_can_ask_more_than_its_employer(centre: JobCentre) -> None:
    newcomer = await centre.open()
    await centre.level(newcomer, "A2")
    employer = await centre.employer()
    with pytest.raises(Conflict, match="requires CEFR B2"):
        await centre(handlers.start_placement, newcomer, placement(employer, min_language_level="B2"))


async def test_one_active_placement_at_a_time(centre: JobCentre) -> None:
    newcomer = await centre.open()
    employer = await centre.employer()
    first = await centre(handlers.start_placement, newcomer, placement(employer))
    with pytest.raises(Conflict, match="has an active placement"):
        await centre(handlers.start_placement, newcomer, placement(employer))
    await centre(
        handlers.end_placement, first.id, PlacementEnd(ended_on=TODAY + timedelta(days=10), reason="Finished")
    )
    await centre(handlers.start_placement, newcomer, placement(employer, kind="apprenticeship"))
    with pytest.raises(Conflict, match="ended on"):
        await centre(handlers.end_placement, first.id, PlacementEnd(ended_on=TODAY, reason="again"))


@pytest.mark.parametrize(
    ("code", "changes", "refusal"),
    [
        ("0301", {}, "Danish scheme"),
        ("530", {"hours_per_week": 20}, "at least 25 hours"),
        ("530", {"ends_on": date(2028, 1, 4)}, "runs 2 years"),
    ],
)
async def test_igu_is_danish_paid_practice_of_25_hours_for_two_years(
    centre: JobCentre, code: str, changes: dict[str, Any], refusal: str
) -> None:
    newcomer = await centre.open(code=code)
    employer = await centre.employer()
    igu = {"kind": "igu", "hours_per_week": 30, "starts_on": date(2027, 1, 4), "ends_on": date(2029, 1, 4)}
    with pytest.raises(Invalid, match=refusal):
        await centre(handlers.start_placement, newcomer, placement(employer, **{**igu, **changes}))


async def test_a_valid_igu_starts(centre: JobCentre) -> None:
    newcomer = await centre.open(code="530")
    employer = await centre.employer()
    starts = date(2027, 1, 4)
    igu = await centre(
        handlers.start_placement,
        newcomer,
        placement(employer, kind="igu", starts_on=starts, ends_on=date(2029, 1, 4), hours_per_week=25),
    )
    assert igu.kind == "igu"


async def test_a_language_mentor_is_requested_for_a_placement_and_the_match_shows_on_it(
    centre: JobCentre,
) -> None:
    newcomer = await centre.open()
    started = await centre(handlers.start_placement, newcomer, placement(await centre.employer()))
    requested = await centre(handlers.request_language_mentor, started.id, ["ti", "nb"])
    with pytest.raises(Conflict, match="requested for placement"):
        await centre(handlers.request_language_mentor, started.id, ["ti"])
    [(_, event)] = [e for e in await centre.published(newcomer) if e[0] == "language-mentor.requested.v1"]
    assert (event["placement_id"], event["occupation_code"], event["languages"]) == (
        str(started.id),
        "5322",
        ["ti", "nb"],
    )
    match = uuid4()
    await centre(
        handlers.record_language_mentor,
        LanguageMentorMatched(
            newcomer_id=newcomer, match_id=match, placement_id=started.id, matched_on=TODAY
        ),
    )
    assert (await centre(lambda s: s.get_placement(started.id))).language_mentor_match_id == match
    assert requested.language_mentor_request_id is not None


async def test_denmark_wants_four_follow_ups_in_the_first_six_months(centre: JobCentre) -> None:
    newcomer = await centre.open(code="530", settled_on=TODAY - timedelta(days=100))
    case = await centre.case(newcomer)
    behind = await centre(handlers.compliance, case, TODAY)
    assert (behind.applies, behind.status, behind.held_in_window) == (True, "behind", 0)
    for days_ago in (90, 60, 30):
        await centre(
            handlers.record_follow_up, newcomer, FollowUpCreate(held_on=TODAY - timedelta(days=days_ago))
        )
    assert (await centre(handlers.compliance, case, TODAY)).status == "on_track"
    assert (await centre(handlers.compliance, case, TODAY + timedelta(days=200))).status == "breached"
    await centre(handlers.record_follow_up, newcomer, FollowUpCreate(held_on=TODAY, kind="workplace_visit"))
    assert (await centre(handlers.compliance, case, TODAY + timedelta(days=200))).status == "met"
    norway = await centre.case(await centre.open(code="0301"))
    assert (await centre(handlers.compliance, norway, TODAY)).status == "not_applicable"
    with pytest.raises(Invalid, match="between the settlement date and today"):
        await centre(handlers.record_follow_up, newcomer, FollowUpCreate(held_on=TODAY + timedelta(days=1)))


async def test_the_job_centre_reads_its_deadlines_from_the_rule_sets_the_clocks_run(
    centre: JobCentre,
) -> None:
    # Placed by the Immigration Service on 15 May 2025: taken over on 1 July 2025 (integrationsloven § 4).
    visited = await centre.open(
        code="530",
        settled_on=date(2025, 6, 20),
        arrival_route=ArrivalRoute.ASYLUM,
        placement_decided_on=date(2025, 5, 15),
    )
    case = await centre.case(visited)
    assert (case.follow_ups_from, case.follow_ups_due_on, case.follow_ups_required) == (
        date(2025, 7, 1),
        date(2026, 1, 1),
        4,
    )
    assert case.competence_mapping_due_on is None  # Denmark's rule set sets no mapping deadline
    oslo = await centre.case(await centre.open(code="0301", settled_on=date(2025, 1, 15)))
    assert (oslo.competence_mapping_due_on, oslo.follow_ups_required) == (date(2025, 4, 15), None)
    clocks = {rule.id: rule for rule in RULE_SETS[Country.NO].clocks}
    facts = {"settled_on": "2025-01-15", "age_group": "adult"}
    mapping = RULE_SETS[Country.NO].started_on(clocks["no.competence-mapping"], facts)
    assert mapping is not None
    assert clocks["no.competence-mapping"].due.after(mapping[1]) == oslo.competence_mapping_due_on


async def test_unexplained_absence_from_the_language_school_becomes_a_task_a_follow_up_closes(
    centre: JobCentre,
) -> None:
    newcomer = await centre.open()
    alert = absence_alert(newcomer_id=newcomer, raised_on=TODAY)
    task = await centre(handlers.task_for_absence, alert)
    assert task is not None
    assert (task.kind, task.due_on, task.status) == ("absence_alert", TODAY + timedelta(days=7), "open")
    assert "3 of 10 sessions (30%)" in task.title
    again = await centre(handlers.task_for_absence, alert)  # the same alert, delivered twice: one task
    assert again is not None
    assert again.id == task.id

    async def started(store: EmploymentStore) -> WorkTask:
        return await Worklist(store).start(task.id, "case-worker-1")

    in_progress = await centre(started)
    assert (in_progress.status, in_progress.assignee) == ("in_progress", "case-worker-1")
    with pytest.raises(Conflict, match="in progress already"):
        await centre(started)

    await centre(handlers.record_follow_up, newcomer, FollowUpCreate(held_on=TODAY))

    closed = await centre.row(WorkTask, task.id)
    assert (closed.status, closed.closed_by) == ("done", "samvirke")

    async def history(store: EmploymentStore) -> list[str]:
        [shown] = await Worklist(store).public([await store.existing(WorkTask, task.id)])
        return [f"{change.actor}:{change.action}" for change in shown.history]

    assert await centre(history) == ["samvirke:raised", "case-worker-1:started", "samvirke:closed"]
    with pytest.raises(Conflict, match="done already"):
        await centre(started)


async def test_an_outcome_closes_the_case_with_its_end_reason_and_ends_the_placement(
    centre: JobCentre,
) -> None:
    newcomer = await centre.open()
    employer = await centre.employer()
    await centre(handlers.start_placement, newcomer, placement(employer))
    case = await centre(
        handlers.record_outcome,
        newcomer,
        Outcome(
            kind="employment",
            started_on=TODAY,
            hours_per_week=37.5,
            employer_id=employer,
            occupation_code="5322",
        ),
    )
    assert (case.status, case.end_reason) == ("closed", "employment")
    assert [e for e, _ in await centre.published(newcomer)][-3:] == [
        "employment.started.v1",
        "placement.ended.v2",
        "case.closed.v1",
    ]
    with pytest.raises(Conflict, match="closed on"):
        await centre(handlers.close_case, newcomer, Closure(end_reason="other", closed_on=TODAY))
    with pytest.raises(ValidationError):
        Outcome(kind="employment", started_on=TODAY)
    with pytest.raises(ValidationError):
        Closure(closed_on=TODAY)  # type: ignore[call-arg] - no end reason, no closure


async def test_relocation_moves_the_case_and_departure_closes_it(centre: JobCentre) -> None:
    mover, leaver = await centre.open(), await centre.open()
    await centre(
        handlers.transfer_case,
        moved(newcomer_id=mover, completed_on=TODAY),
    )
    assert ((await centre.case(mover)).municipality_code, (await centre.case(mover)).status) == (
        "3405",
        "open",
    )
    await centre(
        handlers.close_on_departure,
        NewcomerDeparted(newcomer_id=leaver, reason="left_country", departed_on=TODAY),
    )
    closed = await centre.case(leaver)
    assert (closed.status, closed.end_reason, closed.end_note) == ("closed", "departed", "left_country")
