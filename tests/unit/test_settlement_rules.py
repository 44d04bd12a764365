"""The refugee office's rules, each checked against a real store through the handlers."""

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError
from sqlmodel import select

from services.settlement import handlers
from services.settlement.coordination import Thresholds, load_rule_sets
from services.settlement.coordination import handlers as coordination_handlers
from services.settlement.handlers.retention import (
    After,
    InvalidRetentionRules,
    erase_due,
    load_retention_rules,
)
from services.settlement.handlers.settle import SpreadGuard
from services.settlement.models import (
    DepartureCreate,
    HandoverAccept,
    HandoverComplete,
    HandoverCreate,
    HealthAssessmentOffer,
    HouseholdCreate,
    IntegrationPlanSet,
    LegalDates,
    MemberAdd,
    MunicipalityCreate,
    Newcomer,
    NewcomerCreate,
    NewcomerUpdate,
    QuotaSet,
    SettlementCreate,
)
from services.settlement.store import TABLES, SettlementStore
from shared.contracts.envelope import Envelope
from shared.contracts.events import Event
from shared.contracts.events.employment import MappingCompleted
from shared.contracts.events.settlement import ConsentPurpose, NewcomerSettled
from shared.domain.dates import add_months
from shared.errors import Conflict, Invalid, NotFound
from shared.runtime.db import Database
from tests import factories
from tests.agency import AgencyOnStore, fresh_store

T = TypeVar("T")
GUARD = SpreadGuard(max_share=0.5, from_count=4)
SETTLED = "samvirke.settlement.newcomer.settled.v1"


class Office(AgencyOnStore[SettlementStore]):
    """A settlement office on a fresh store."""

    def __init__(self, database: Database) -> None:
        super().__init__(database, SettlementStore)

    async def published(self, newcomer_id: UUID | None = None) -> list[tuple[str, str, Any]]:
        return [(row.type, row.topic, data) for row, data in await self.outbox(newcomer_id)]

    async def types(self, newcomer_id: UUID) -> list[str]:
        return [t.rsplit("settlement.", 1)[-1] for t, _, _ in await self.published(newcomer_id)]

    async def municipality(
        self,
        code: str = "0301",
        country: str = "NO",
        districts: tuple[str, ...] = ("Grorud", "Stovner"),
        quota: int | None = 20,
        **more: Any,
    ) -> None:
        await self(
            handlers.create_municipality,
            MunicipalityCreate(
                code=code, country=country, name=f"M{code}", districts=list(districts), **more
            ),
        )
        if quota is not None:
            await self(handlers.set_quota, code, 2026, QuotaSet(requested=quota))

    async def register(self, given: str = "Amira", family: str = "Haddad", **more: Any) -> Newcomer:
        data = {
            "given_name": given,
            "family_name": family,
            "birth_date": date(1990, 4, 2),
            "sex": "female",
            "country_of_origin": "SY",
            "languages": ["ar"],
            "phone": "+4740000000",
            **more,
        }
        return await self(handlers.register_newcomer, NewcomerCreate(**data))

    async def settle(
        self, newcomer: Newcomer, district: str = "Grorud", code: str = "0301", **more: Any
    ) -> Newcomer:
        data = SettlementCreate(
            municipality_code=code, district=district, settled_on=date(2026, 3, 1), **more
        )
        return await self(handlers.settle_newcomer, newcomer.id, data, GUARD)

    async def settled(self, given: str = "Amira", district: str = "Grorud", **more: Any) -> Newcomer:
        return await self.settle(await self.register(given, **more), district)


@pytest.fixture
async def office(database_url: str) -> AsyncIterator[Office]:
    async with fresh_store(database_url, TABLES) as database:
        yield Office(database)


# municipalities and quotas


@pytest.mark.parametrize(
    ("country", "code", "ok"),
    [("NO", "0301", True), ("NO", "301", False), ("DK", "530", True), ("DK", "0530", False)],
)
def test_municipality_codes_follow_the_countrys_numbering(country: str, code: str, ok: bool) -> None:
    make = lambda: MunicipalityCreate(code=code, country=country, name="X", districts=["A"])  # noqa: E731
    if ok:
        make()
    else:
        with pytest.raises(ValidationError, match="digits"):
            make()


async def test_norway_asks_no_municipality_for_fewer_than_ten(office: Office) -> None:
    await office.municipality(quota=None)
    with pytest.raises(Invalid, match="fewer than 10"):
        await office(handlers.set_quota, "0301", 2026, QuotaSet(requested=9))
    assert (await office(handlers.set_quota, "0301", 2026, QuotaSet(requested=10))).requested == 10
    await office.municipality(code="530", country="DK", districts=("Billund",), quota=None)
    assert (await office(handlers.set_quota, "530", 2017, QuotaSet(requested=5))).requested == 5


# the register


async def test_the_same_person_registered_twice_points_to_the_first_record(office: Office) -> None:
    first = await office.register("Amira", "Haddad")
    with pytest.raises(Conflict) as duplicate:
        await office.register("HADDAD", "Ámira")  # order, case and accents differ
    assert duplicate.value.extensions["existing_id"] == str(first.id)
    await office.register("Amira", "Haddad", birth_date=date(1991, 4, 2))  # another person


async def test_the_states_case_number_identifies_a_person_too(office: Office) -> None:
    first = await office.register("Yonas", external_reference="DUF-2026-001")
    with pytest.raises(Conflict) as duplicate:
        await office.register("Yohannes", external_reference="DUF-2026-001")
    assert duplicate.value.extensions["existing_id"] == str(first.id)


async def test_renaming_into_another_persons_identity_is_refused(office: Office) -> None:
    await office.register("Amira")
    other = await office.register("Lina")
    with pytest.raises(Conflict, match="registered already"):
        await office(handlers.update_newcomer, other.id, NewcomerUpdate(given_name="Amira"))


async def test_search_finds_every_name_whatever_its_letters_and_takes_wildcards_literally(
    office: Office,
) -> None:
    people = {
        (given, family): (await office.register(given, family)).id
        for given, family in [
            ("Øyvind", "Ærøskøbing"),
            ("Anders", "Ångström"),
            ("María", "Ñúñez"),
            ("Zeynep", "İstanbul"),
            ("Lise", "Straße"),
            ("Per", "100%_Sure"),
        ]
    }

    async def found(term: str) -> set[UUID]:
        async def search(store: SettlementStore) -> list[Newcomer]:
            rows, _ = await store.list_newcomers(
                status=None, municipality_code=None, district=None, name=term, limit=50, offset=0
            )
            return rows

        return {newcomer.id for newcomer in await office(search)}

    for (given, family), newcomer_id in people.items():
        assert await found(family) == {newcomer_id}, family  # as typed, capitals and all
        assert await found(given.upper()) == {newcomer_id}, given
    assert await found("aeroskobing") == set()  # folding drops accents, it does not transliterate
    assert await found("nunez") == {people["María", "Ñúñez"]}
    assert await found("istanbul") == {people["Zeynep", "İstanbul"]}
    assert await found("strasse") == {people["Lise", "Straße"]}
    assert await found("%%") == set()  # wildcards are letters to look for, not "anything"
    assert await found("__") == set()
    assert await found("%_") == {people["Per", "100%_Sure"]}


@pytest.mark.parametrize(
    ("given", "character"),
    [
        ("Ami\u202eariH", "U+202E"),
        ("Ami\u200bra", "U+200B"),
        ("Ami\x00ra", "U+0000"),
        ("Ami\u2028ra", "U+2028"),
    ],
)
def test_a_name_that_would_display_as_another_is_refused(given: str, character: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(character)):
        NewcomerCreate(
            given_name=given,
            family_name="Haddad",
            birth_date=date(1990, 4, 2),
            sex="female",
            country_of_origin="SY",
        )


def test_names_are_kept_in_one_normal_form() -> None:
    decomposed = "A\u0301mira"  # A and a combining acute: displays as Ámira
    person = NewcomerCreate(
        given_name=decomposed,
        family_name="Haddad",
        birth_date=date(1990, 4, 2),
        sex="female",
        country_of_origin="sy",
    )
    assert (person.given_name, person.country_of_origin) == ("\u00c1mira", "SY")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"arrival_date": date(2999, 1, 1)}, "arrival_date"),
        ({"languages": ["Arabic"]}, "languages"),
        ({"phone": "call me"}, "phone"),
        ({"email": "not-an-address"}, "email"),
        ({"sex": "?"}, "sex"),
        ({"arrival_date": date(1980, 1, 1)}, "before birth_date"),
    ],
)
def test_registration_names_each_invalid_detail(change: dict[str, Any], field: str) -> None:
    base = {
        "given_name": "A",
        "family_name": "B",
        "birth_date": date(1990, 1, 1),
        "sex": "male",
        "country_of_origin": "AF",
    }
    with pytest.raises(ValidationError, match=field):
        NewcomerCreate(**{**base, **change})


async def test_names_reach_only_the_personal_details_channel_and_only_once_settled(office: Office) -> None:
    await office.municipality()
    newcomer = await office.register()
    assert all("Amira" not in json.dumps(data) for _, _, data in await office.published(newcomer.id))
    await office.settle(newcomer)
    details = [
        (topic, data)
        for t, topic, data in await office.published(newcomer.id)
        if t.endswith("personal-details.v1")
    ]
    assert details == [("settlement.personal-details", details[0][1])]
    assert details[0][1]["given_name"] == "Amira"
    case_events = [
        data for _, topic, data in await office.published(newcomer.id) if topic == "settlement.events"
    ]
    assert all("Amira" not in json.dumps(data) for data in case_events)


# settlement, quota and spread


async def test_settling_requires_a_known_municipality_and_one_of_its_districts(office: Office) -> None:
    newcomer = await office.register()
    with pytest.raises(NotFound):
        await office.settle(newcomer)
    await office.municipality()
    with pytest.raises(Invalid, match="no district 'Atlantis'"):
        await office.settle(newcomer, "Atlantis")


async def test_settling_beyond_the_quota_is_refused_unless_overridden_with_a_reason(office: Office) -> None:
    await office.municipality(districts=("Grorud",), quota=10)
    for n in range(10):
        await office.settled(f"Person{n}")
    with pytest.raises(Conflict, match="settled 10 of the 10 requested"):
        await office.settled("Eleventh")
    extra = await office.register("Twelfth")
    await office.settle(extra, override_reason="Acute need agreed with the directorate")
    [line] = [q for q in await office(handlers.quota_report, 2026) if q.municipality_code == "0301"]
    assert (line.requested, line.settled, line.remaining) == (10, 11, 0)


async def test_the_last_place_in_the_quota_goes_to_one_of_two_settling_at_once(office: Office) -> None:
    await office.municipality(districts=("Grorud",), quota=10)
    for n in range(9):
        await office.settled(f"Person{n}")
    last, also_last = await office.register("Tenth"), await office.register("Eleventh")

    outcomes = await asyncio.gather(office.settle(last), office.settle(also_last), return_exceptions=True)

    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "Newcomer"], outcomes
    [line] = [q for q in await office(handlers.quota_report, 2026) if q.municipality_code == "0301"]
    assert (line.settled, line.remaining) == (10, 0)


async def test_a_municipality_without_a_request_for_the_year_settles_only_with_a_reason(
    office: Office,
) -> None:
    await office.municipality(quota=None)
    with pytest.raises(Conflict, match="no settlement request for 2026"):
        await office.settled()


async def test_family_reunification_is_outside_the_quota_and_reported_separately(office: Office) -> None:
    await office.municipality(districts=("Grorud",), quota=10)
    for n in range(10):
        await office.settled(f"Person{n}")
    await office.settled("Relative", arrival_route="family_reunification")
    await office.settled("Son", arrival_route="family_reunification", birth_date=date(2012, 5, 1))
    [line] = [q for q in await office(handlers.quota_report, 2026) if q.municipality_code == "0301"]
    assert (line.settled, line.remaining) == (10, 0)
    assert (line.family_reunification, line.family_reunification_adults) == (2, 1)
    assert line.family_reunification_children == 1


async def test_no_district_takes_more_than_its_share(office: Office) -> None:
    await office.municipality(districts=("Grorud", "Stovner"))
    await office.settled("A", "Grorud")
    await office.settled("B", "Stovner")
    await office.settled("C", "Grorud")  # 2 of 3: the guard starts at four
    fourth = await office.register("D")
    with pytest.raises(Conflict, match=r"Grorud would take 3 of 4 settlements in 2026 \(75%\)"):
        await office.settle(fourth, "Grorud")
    await office.settle(fourth, "Stovner")
    late = await office.register("E")
    await office.settle(late, "Grorud", override_reason="Family lives in Grorud")
    report = await office(handlers.district_report, "0301", 2026, GUARD)
    assert [(d.district, d.settled, d.share) for d in report.districts] == [
        ("Grorud", 3, 0.6),
        ("Stovner", 2, 0.4),
    ]


async def test_two_districts_at_half_take_turns_without_an_override(office: Office) -> None:
    await office.municipality(districts=("Billund", "Grindsted"))
    for name, district in zip("ABCD", ("Billund", "Grindsted") * 2, strict=True):
        await office.settled(name, district)
    await office.settled("E", "Billund")  # 3 of 5: Grindsted would have three too
    sixth = await office.register("F")
    with pytest.raises(Conflict, match=r"Billund would take 4 of 6 settlements in 2026 \(67%\)"):
        await office.settle(sixth, "Billund")
    await office.settle(sixth, "Grindsted")


async def test_a_municipality_may_set_its_own_district_share(office: Office) -> None:
    await office.municipality(districts=("Grorud", "Stovner"), max_district_share=0.8)
    for name in "ABC":
        await office.settled(name, "Grorud")
    fourth = await office.register("D")
    with pytest.raises(Conflict, match=r"\(100%\), more than its 80% share"):
        await office.settle(fourth, "Grorud")
    await office.settle(fourth, "Stovner")
    await office.settled("E", "Grorud")  # 4 of 5 is 80%: allowed here, refused under the default 50%


async def test_a_newcomer_is_settled_once_and_a_departed_one_not_again(office: Office) -> None:
    await office.municipality()
    newcomer = await office.settled()
    with pytest.raises(Conflict, match="is settled in 0301 on 2026-03-01"):
        await office.settle(newcomer)
    await office(
        handlers.depart, newcomer.id, DepartureCreate(reason="left_country", departed_on=date(2026, 6, 1))
    )
    with pytest.raises(Conflict, match="is departed"):
        await office.settle(newcomer)


# households and family reunification


async def test_a_relative_arriving_later_joins_the_household_and_is_routed_by_age(office: Office) -> None:
    await office.municipality()
    father = await office.settled("Omar", consents=["volunteer_contact"])
    household = await office(
        handlers.create_household,
        HouseholdCreate(members=[MemberAdd(newcomer_id=father.id, relation="head")]),
    )
    daughter = await office.register(
        "Lina", birth_date=date(2016, 6, 1), arrival_route="family_reunification"
    )
    await office(
        handlers.add_household_member, household.id, MemberAdd(newcomer_id=daughter.id, relation="child")
    )
    [(_, _, added)] = [e for e in await office.published(daughter.id) if e[0].endswith("member-added.v1")]
    assert added["household_id"] == str(household.id)
    assert (
        added["age_group"],
        added["via_family_reunification"],
        added["household_consents_to_volunteer_contact"],
    ) == ("child", True, True)


async def test_a_household_is_settled_together(office: Office) -> None:
    await office.municipality()
    await office.municipality(code="3405", districts=("Sentrum",))
    mother = await office.settled("Sara")
    household = await office(
        handlers.create_household,
        HouseholdCreate(members=[MemberAdd(newcomer_id=mother.id, relation="head")]),
    )
    son = await office.register("Adam", birth_date=date(2012, 1, 1), arrival_route="family_reunification")
    await office(handlers.add_household_member, household.id, MemberAdd(newcomer_id=son.id, relation="child"))
    with pytest.raises(Conflict, match="household lives in 0301"):
        await office.settle(son, "Sentrum", code="3405")
    settled_son = await office.settle(son, "Grorud")
    [(_, _, event)] = [e for e in await office.published(son.id) if e[0] == SETTLED]
    assert (event["household_id"], event["arrival_route"], event["age_group"]) == (
        str(household.id),
        "family_reunification",
        "child",
    )
    assert settled_son.household_id == household.id


async def test_a_newcomer_belongs_to_one_household(office: Office) -> None:
    newcomer = await office.register()
    await office(
        handlers.create_household,
        HouseholdCreate(members=[MemberAdd(newcomer_id=newcomer.id, relation="head")]),
    )
    with pytest.raises(Conflict, match="belongs to household"):
        await office(
            handlers.create_household,
            HouseholdCreate(members=[MemberAdd(newcomer_id=newcomer.id, relation="head")]),
        )
    with pytest.raises(NotFound):
        await office(
            handlers.add_household_member, uuid4(), MemberAdd(newcomer_id=newcomer.id, relation="child")
        )


# consent


async def test_consent_is_given_and_withdrawn_with_timestamps_and_volunteers_lose_the_contact(
    office: Office,
) -> None:
    await office.municipality()
    newcomer = await office.settled()
    consent = await office(handlers.give_consent, newcomer.id, ConsentPurpose.VOLUNTEER_CONTACT)
    with pytest.raises(Conflict, match="already in force"):
        await office(handlers.give_consent, newcomer.id, ConsentPurpose.VOLUNTEER_CONTACT)
    withdrawn = await office(handlers.withdraw_consent, newcomer.id, ConsentPurpose.VOLUNTEER_CONTACT)
    assert withdrawn.withdrawn_at is not None
    assert withdrawn.withdrawn_at >= consent.given_at
    with pytest.raises(Conflict, match="No consent"):
        await office(handlers.withdraw_consent, newcomer.id, ConsentPurpose.VOLUNTEER_CONTACT)
    contacts = [
        (t.rsplit(".", 2)[-2], data)
        for t, topic, data in await office.published(newcomer.id)
        if topic == "settlement.volunteer-contacts"
    ]
    assert contacts[0][1]["given_name"] == "Amira"
    assert contacts[-1] == ("volunteer-contact", None), "a tombstone erases the contact"
    assert "phone" in contacts[0][1]
    assert "family_name" not in contacts[0][1]
    assert [t for t in await office.types(newcomer.id) if t.startswith("consent")] == [
        "consent.given.v1",
        "consent.withdrawn.v1",
    ]


async def test_without_consent_no_contact_reaches_volunteers(office: Office) -> None:
    await office.municipality()
    newcomer = await office.settled()
    assert [
        topic
        for _, topic, _ in await office.published(newcomer.id)
        if topic == "settlement.volunteer-contacts"
    ] == []


# handover between municipalities


async def test_a_handover_moves_the_same_record_to_the_receiving_municipality(office: Office) -> None:
    await office.municipality()
    await office.municipality(code="3405", districts=("Sentrum", "Søre Ål"))
    newcomer = await office.settled()
    handover = await office(
        handlers.request_handover, newcomer.id, HandoverCreate(to_municipality_code="3405")
    )
    with pytest.raises(Conflict, match="open handover"):
        await office(handlers.request_handover, newcomer.id, HandoverCreate(to_municipality_code="3405"))
    with pytest.raises(Conflict, match="only a accepted handover can complete"):
        await office(handlers.complete_handover, handover.id, HandoverComplete(completed_on=date(2026, 9, 1)))
    with pytest.raises(Invalid, match="no district"):
        await office(handlers.accept_handover, handover.id, HandoverAccept(to_district="Grorud"))
    await office(handlers.accept_handover, handover.id, HandoverAccept(to_district="Søre Ål"))
    done = await office(
        handlers.complete_handover, handover.id, HandoverComplete(completed_on=date(2026, 9, 1))
    )
    assert done.status == "completed"

    async with office.database.session() as session:
        people = (await session.exec(select(Newcomer))).all()
    assert [(p.id, p.municipality_code, p.district) for p in people] == [(newcomer.id, "3405", "Søre Ål")]
    with pytest.raises(Conflict, match="registered already"):
        await office.register()  # the receiving office cannot create the person again
    types = await office.types(newcomer.id)
    assert types[-3:] == ["handover.accepted.v1", "handover.completed.v1", "personal-details.v1"]
    assert "handover.requested.v1" in types


async def test_a_handover_can_be_rejected_or_revoked_but_not_after_completion(office: Office) -> None:
    await office.municipality()
    await office.municipality(code="3405", districts=("Sentrum",))
    newcomer = await office.settled()
    first = await office(handlers.request_handover, newcomer.id, HandoverCreate(to_municipality_code="3405"))
    rejected = await office(handlers.reject_handover, first.id, "No housing available")
    assert (rejected.status, rejected.decision_reason) == ("rejected", "No housing available")
    second = await office(handlers.request_handover, newcomer.id, HandoverCreate(to_municipality_code="3405"))
    await office(handlers.revoke_handover, second.id, "The family stays")
    with pytest.raises(Conflict, match="only open handovers"):
        await office(handlers.revoke_handover, second.id, "again")


async def test_only_settled_newcomers_move_and_only_elsewhere(office: Office) -> None:
    await office.municipality()
    registered = await office.register()
    with pytest.raises(Conflict, match="only settled newcomers"):
        await office(handlers.request_handover, registered.id, HandoverCreate(to_municipality_code="0301"))
    settled = await office.settled("Yonas")
    with pytest.raises(Invalid, match="lives in 0301 already"):
        await office(handlers.request_handover, settled.id, HandoverCreate(to_municipality_code="0301"))
    with pytest.raises(NotFound):
        await office(handlers.request_handover, settled.id, HandoverCreate(to_municipality_code="9999"))


# departure and integration plan


async def test_departure_closes_with_a_reason_revokes_a_handover_and_forgets_the_contact(
    office: Office,
) -> None:
    await office.municipality()
    await office.municipality(code="3405", districts=("Sentrum",))
    newcomer = await office.settled(consents=["volunteer_contact"])
    handover = await office(
        handlers.request_handover, newcomer.id, HandoverCreate(to_municipality_code="3405")
    )
    with pytest.raises(Invalid, match="before the settlement date"):
        await office(
            handlers.depart, newcomer.id, DepartureCreate(reason="deceased", departed_on=date(2026, 1, 1))
        )
    gone = await office(
        handlers.depart, newcomer.id, DepartureCreate(reason="left_country", departed_on=date(2026, 6, 1))
    )
    assert (gone.status, gone.departure_reason) == ("departed", "left_country")
    assert (await office(_get_handover, handover.id)).status == "revoked"
    types = await office.types(newcomer.id)
    assert types[-3:] == ["handover.revoked.v2", "volunteer-contact.v1", "newcomer.departed.v1"]
    with pytest.raises(Conflict, match="departed on 2026-06-01 already"):
        await office(
            handlers.depart, newcomer.id, DepartureCreate(reason="other", departed_on=date(2026, 7, 1))
        )


async def _get_handover(store: SettlementStore, handover_id: UUID) -> Any:
    return await store.get_handover(handover_id)


async def test_a_health_assessment_offer_is_recorded_for_a_settled_newcomer_and_published(
    office: Office,
) -> None:
    await office.municipality()
    registered = await office.register("Farid")
    offer = HealthAssessmentOffer(offered_on=date(2026, 4, 1))
    with pytest.raises(Conflict, match="offers are made to settled newcomers"):
        await office(handlers.offer_health_assessment, registered.id, offer)
    newcomer = await office.settled()
    for day in (date(2026, 2, 28), date.today() + timedelta(days=1)):  # before settlement (1 March), future
        with pytest.raises(Invalid, match="between the settlement date and today"):
            await office(handlers.offer_health_assessment, newcomer.id, HealthAssessmentOffer(offered_on=day))
    await office(handlers.offer_health_assessment, newcomer.id, offer)
    offered = [
        d for t, _, d in await office.published(newcomer.id) if t.endswith("health-assessment.offered.v1")
    ]
    assert offered == [{"newcomer_id": str(newcomer.id), "offered_on": "2026-04-01"}]


async def test_legal_dates_recorded_after_the_settlement_are_checked_and_published(office: Office) -> None:
    await office.municipality()
    registered = await office.register("Farid")
    visitation = LegalDates(placement_decided_on=date(2026, 2, 10))
    with pytest.raises(Conflict, match="legal dates are recorded once settled"):
        await office(handlers.record_legal_dates, registered.id, visitation)
    newcomer = await office.settled()  # on 1 March 2026
    with pytest.raises(Invalid, match="comes before the settlement on 2026-03-01"):
        await office(
            handlers.record_legal_dates, newcomer.id, LegalDates(placement_decided_on=date(2026, 3, 2))
        )
    tomorrow = date.today() + timedelta(days=1)
    with pytest.raises(Invalid, match="registered_resident_on must not be in the future"):
        await office(handlers.record_legal_dates, newcomer.id, LegalDates(registered_resident_on=tomorrow))
    with pytest.raises(ValidationError, match="give at least one of"):
        LegalDates()
    await office(handlers.record_legal_dates, newcomer.id, visitation)
    [recorded] = [
        d for t, _, d in await office.published(newcomer.id) if t.endswith("legal-dates.recorded.v1")
    ]
    assert recorded == {
        "newcomer_id": str(newcomer.id),
        "recorded_on": str(date.today()),
        "placement_decided_on": "2026-02-10",
        "registered_resident_on": None,
        "early_takeover_on": None,
    }


async def test_integration_plan_is_agreed_with_settled_newcomers_and_revisions_replace_it(
    office: Office,
) -> None:
    await office.municipality()
    registered = await office.register("Farid")
    plan = IntegrationPlanSet(
        end_goal="work", language_goal="B1", programme_months=24, agreed_on=date(2026, 4, 1)
    )
    with pytest.raises(Conflict, match="plans are agreed with settled newcomers"):
        await office(handlers.agree_integration_plan, registered.id, plan)
    newcomer = await office.settled()
    with pytest.raises(Invalid, match="before the settlement date"):
        await office(
            handlers.agree_integration_plan,
            newcomer.id,
            plan.model_copy(update={"agreed_on": date(2026, 1, 1)}),
        )
    await office(handlers.agree_integration_plan, newcomer.id, plan)
    revised = await office(
        handlers.agree_integration_plan,
        newcomer.id,
        IntegrationPlanSet.model_validate(
            {**plan.model_dump(), "end_goal": "education", "language_goal": "B2"}
        ),
    )
    assert (revised.end_goal, revised.language_goal) == ("education", "B2")
    agreed = [
        data for t, _, data in await office.published(newcomer.id) if t.endswith("integration-plan.agreed.v1")
    ]
    assert [a["end_goal"] for a in agreed] == ["work", "education"]
    with pytest.raises(ValidationError):
        IntegrationPlanSet(
            end_goal="work", language_goal="D1", programme_months=0, agreed_on=date(2026, 4, 1)
        )


# coordination on the store: journeys kept once, breaches and gaps published once


async def test_an_event_applied_again_is_kept_once_in_the_journey(office: Office) -> None:
    newcomer_id = uuid4()
    settled = _settled_event(newcomer_id)
    envelope = Envelope.wrap(settled, source="/samvirke/settlement")
    for _ in range(2):  # redelivered, or replayed from scratch
        await office(coordination_handlers.record_in_journey, settled, envelope)
    [entry] = await office(coordination_handlers.journey_of, newcomer_id)
    assert (entry.agency, entry.occurred_on, entry.facts["district"]) == (
        "settlement",
        date(2025, 1, 15),
        "Grorud",
    )
    assert "newcomer_id" not in entry.facts


async def test_the_sweep_publishes_each_breach_and_gap_once(office: Office) -> None:
    await office.municipality()
    newcomer_id = uuid4()
    settled = _settled_event(newcomer_id)
    await office(
        coordination_handlers.record_in_journey,
        settled,
        Envelope.wrap(settled, source="/samvirke/settlement"),
    )
    coordination = coordination_handlers.Coordination(load_rule_sets(), Thresholds())
    later = date.today() + timedelta(days=30)  # 14 days after it was recorded, gaps count
    report = await office(coordination_handlers.sweep, coordination, later)
    assert (report.clock_breaches_published, report.gaps_published) == (2, 2)
    published = [(t.rsplit(".", 1)[0], data) for t, _, data in await office.published(newcomer_id)]
    assert sorted(data["rule_id"] for t, data in published if t.endswith("clock.breached")) == [
        "no.competence-mapping",
        "no.programme-decision",
    ]
    assert sorted(data["kind"] for t, data in published if t.endswith("registration-gap.found")) == [
        "no_employment_case",
        "no_learner_record",
    ]
    again = await office(coordination_handlers.sweep, coordination, later + timedelta(days=1))
    assert (again.clock_breaches_published, again.gaps_published) == (0, 0)


async def test_the_sweep_publishes_a_clock_at_risk_then_resolved_and_a_gap_found_then_closed(
    office: Office,
) -> None:
    await office.municipality()
    newcomer_id = uuid4()
    today = date.today()
    settled_on = add_months(today, -3) + timedelta(days=20)  # both three-month clocks due in 20 days

    async def record(event: Event) -> None:
        await office(
            coordination_handlers.record_in_journey, event, Envelope.wrap(event, source="/samvirke/x")
        )

    await record(
        factories.settled(newcomer_id=newcomer_id, settled_on=settled_on, volunteer_contact_consent=False)
    )
    coordination = coordination_handlers.Coordination(load_rule_sets(), Thresholds())
    early = await office(coordination_handlers.sweep, coordination, today)
    assert (early.clocks_at_risk_published, early.gaps_published) == (0, 0)  # due in 20 days, at risk in 14
    first = await office(coordination_handlers.sweep, coordination, today + timedelta(days=15))
    assert (first.clocks_at_risk_published, first.clock_breaches_published, first.gaps_published) == (2, 0, 2)

    await record(factories.case_opened(newcomer_id=newcomer_id, opened_on=settled_on))
    mapping = MappingCompleted(
        newcomer_id=newcomer_id,
        completed_on=today,
        education_level="secondary",
        years_of_work_experience=3.0,
        occupation_codes=[],
        driving_licence=False,
        entrepreneurial_experience=False,
        language_level=None,
    )
    await record(mapping)
    second = await office(coordination_handlers.sweep, coordination, today + timedelta(days=16))
    assert (second.clocks_resolved_published, second.gaps_closed_published) == (1, 1)
    published = [(t.rsplit(".", 1)[0], data) for t, _, data in await office.published(newcomer_id)]
    [resolved] = [data for t, data in published if t.endswith("clock.resolved")]
    assert (resolved["rule_id"], resolved["agency"], resolved["outcome"]) == (
        "no.competence-mapping",
        "employment",
        "met",
    )
    assert resolved["resolved_on"] == today.isoformat()
    [closed] = [data for t, data in published if t.endswith("registration-gap.closed")]
    assert (closed["kind"], closed["agency"], closed["municipality_code"]) == (
        "no_employment_case",
        "employment",
        "0301",
    )
    third = await office(coordination_handlers.sweep, coordination, today + timedelta(days=17))
    assert (third.clocks_resolved_published, third.gaps_closed_published, third.clocks_at_risk_published) == (
        0,
        0,
        0,
    )


def _settled_event(newcomer_id: UUID) -> NewcomerSettled:
    return factories.settled(
        newcomer_id=newcomer_id,
        district="Grorud",
        settled_on=date(2025, 1, 15),
        volunteer_contact_consent=False,
    )


async def test_sweeps_running_at_once_publish_each_notice_once(office: Office) -> None:
    await office.municipality()
    for _ in range(3):
        event = _settled_event(uuid4())
        await office(
            coordination_handlers.record_in_journey,
            event,
            Envelope.wrap(event, source="/samvirke/settlement"),
        )
    coordination = coordination_handlers.Coordination(load_rule_sets(), Thresholds())
    later = date.today() + timedelta(days=30)
    reports = await asyncio.gather(
        *(office(coordination_handlers.sweep, coordination, later) for _ in range(2))
    )
    assert sorted(r.clock_breaches_published + r.gaps_published for r in reports) == [0, 12]
    assert len(await office.published()) == 12  # 3 newcomers × (2 clocks + 2 gaps)


# retention


async def test_a_retention_period_that_has_run_erases_the_newcomer_once_on_the_rules_ground(
    office: Office,
) -> None:
    await office.municipality()
    left = await office.settled("Amira")
    died = await office.settled("Omar", district="Stovner")
    stays = await office.settled("Lina")
    for newcomer, reason in ((left, "left_country"), (died, "deceased")):
        await office(
            handlers.depart, newcomer.id, DepartureCreate(reason=reason, departed_on=date(2026, 6, 1))
        )
    rules = load_retention_rules()  # five years after leaving, ten after death

    assert await office(erase_due, rules, date(2031, 5, 31)) == {"departed": 0, "deceased": 0}
    assert await office(erase_due, rules, date(2031, 6, 1)) == {"departed": 1, "deceased": 0}
    status = await office(handlers.erasure_status, left.id)
    assert (status.legal_ground, status.retention_rule) == ("no_longer_needed", "departed")
    assert (await office.row(Newcomer, left.id)).given_name == ""
    assert "erasure.requested.v1" in await office.types(left.id)
    assert await office(erase_due, rules, date(2036, 6, 1)) == {"departed": 0, "deceased": 1}
    assert await office(erase_due, rules, date(2040, 1, 1)) == {"departed": 0, "deceased": 0}  # once each
    assert (await office.row(Newcomer, stays.id)).given_name == "Lina"


def test_a_retention_period_counts_calendar_years_from_the_day() -> None:
    assert After(years=5).from_(date(2024, 2, 29)) == date(2029, 2, 28)
    assert After(months=1, days=1).from_(date(2026, 1, 31)) == date(2026, 3, 1)
    assert After().from_(date(2026, 6, 1)) == date(2026, 6, 1)  # at once


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            '[[rule]]\nid = "x"\ntitle = "X"\ntrigger = "arrived"\nafter = { years = 1 }\n'
            'legal_ground = "no_longer_needed"\ncites = "c"',
            "trigger",
        ),
        (
            '[[rule]]\nid = "x"\ntitle = "X"\ntrigger = "departed"\nafter = { years = -1 }\n'
            'legal_ground = "no_longer_needed"\ncites = "c"',
            "years",
        ),
        (
            '[[rule]]\nid = "x"\ntitle = "X"\ntrigger = "departed"\nafter = { years = 1 }\n'
            'legal_ground = "no_longer_needed"\ncites = "c"\n'
            '[[rule]]\nid = "y"\ntitle = "Y"\ntrigger = "departed"\nreasons = ["deceased"]\n'
            "after = { days = 1 }\n"
            'legal_ground = "no_longer_needed"\ncites = "c"',
            "same trigger and departure reason",
        ),
        ("[[rule]\n", "retention.toml"),
    ],
)
def test_a_retention_file_that_cannot_be_used_is_refused_naming_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "retention.toml"
    path.write_text(text)
    with pytest.raises(InvalidRetentionRules, match=problem):
        load_retention_rules(path)
