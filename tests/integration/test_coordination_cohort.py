"""The coordinator's view of a scripted 2025 cohort, across all four services on real Kafka.

Seven newcomers go through the four agencies' APIs with dates chosen so that
every clock, gap and key figure below was computed by hand. Midway, the
language school's service is down (as happens), and the coordinator sees
what that leaves undone; once it is back, those gaps close.

    Oslo (0301, Norway), quota 10 for 2025
      N1 Amina  F  settled 01-15; course 02-03 (19 d); mapped 03-20 (64 d); plan 04-01;
                   placement 05-05 (110 d); a volunteer friend; job 06-01 (programme ended)
      N2 Bilal  M  settled 02-10; course 03-17 (35 d); mapped 05-20 (99 d, late); no plan;
                   placement 06-02 asking B1, tested B1 only on 06-10; case closed 08-01 "other", no note
      N3 Hamid  M  settled 03-03; course 03-17 (14 d); mapped 04-01 (29 d); plan 04-10;
                   handed over to Lillehammer 06-02 while the school's service was down
      N4 Lina   F  a child, family reunification, settled 01-15
      N5 Yusuf  M  settled 04-07 while the school's service was down; course begun (0 d); nothing else
    Billund (530, Denmark), quota 5 — both placed by the Immigration Service (visitation), so the
    municipality takes over after the first full month following the decision, on a working day
    (integrationsloven § 4, stk. 2)
      D1 Mariam F  visitation and settlement 03-10 (takeover 05-01); contract 05-20; lessons 06-02
                   (1 day late); placement 05-26 (within the 1-month limit); follow-ups 04-01 05-01 06-01
                   08-01
      D2 Ali    M  visitation and settlement 04-14 (1 June is a Sunday: takeover 06-02); lessons 06-02;
                   two follow-ups; nothing else
"""

import json
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import uuid4

import httpx
import pytest

from deploy.local.broker import KafkaEndpoint
from deploy.local.identity import IdentityProvider
from deploy.local.stack import coordinator_token, tokens
from services.education.config import EducationSettings
from services.education.main import create_app as create_education
from services.employment.config import EmploymentSettings
from services.employment.main import create_app as create_employment
from services.settlement.config import SettlementSettings
from services.settlement.main import create_app as create_settlement
from services.volunteering.config import VolunteeringSettings
from services.volunteering.main import create_app as create_volunteering
from shared.contracts.events.settlement import ClockBreached, RegistrationGapFound
from tests import scenario
from tests.conftest import eventually
from tests.integration.conftest import running
from tests.kafka_tools import headers_of, read_topic

pytestmark = pytest.mark.kafka

T = TypeVar("T")
BILLUND = {
    "code": "530",
    "country": "DK",
    "name": "Billund",
    "districts": ["Billund", "Grindsted"],
    "max_district_share": 1.0,
}


@dataclass
class Agencies:
    """The four services, the language school's startable and stoppable on its own."""

    kafka: KafkaEndpoint
    identity: IdentityProvider
    prefix: str
    settings: dict[str, Any]
    clients: dict[str, httpx.AsyncClient]
    coordinator: httpx.AsyncClient

    @asynccontextmanager
    async def school(self) -> AsyncIterator[None]:
        """Runs the language school's service (a fresh process, as it were) for the block's duration."""
        app = create_education(EducationSettings(**self.settings, **self.kafka.settings_for("education")))
        client = _client(app, "education", tokens(self.identity)["education"])
        self.clients["education"] = client
        async with running({"education": app}):
            yield
        await client.aclose()

    async def ok(self, response: Awaitable[httpx.Response], status: int = 200) -> Any:
        answer = await response
        assert answer.status_code == status, answer.text
        return answer.json()


def _client(app: Any, name: str, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=f"http://{name}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


@pytest.fixture
async def agencies(
    kafka: KafkaEndpoint, identity: IdentityProvider, tmp_path: Path
) -> AsyncIterator[Agencies]:
    prefix = f"c{uuid4().hex[:10]}."
    kafka.grant(prefix)
    settings: dict[str, Any] = {
        "oidc_issuers": [identity.issuer],
        "kafka_bootstrap_servers": kafka.bootstrap_servers,
        "kafka_topic_prefix": prefix,
        "data_dir": str(tmp_path),
        "outbox_poll_interval_s": 0.2,
        "coordination_sweep_interval_s": 0,  # the test sweeps when it wants to
    }
    apps = {
        "settlement": create_settlement(SettlementSettings(**settings, **kafka.settings_for("settlement"))),
        "employment": create_employment(EmploymentSettings(**settings, **kafka.settings_for("employment"))),
        "volunteering": create_volunteering(
            VolunteeringSettings(**settings, **kafka.settings_for("volunteering"))
        ),
    }
    staff = tokens(identity)
    clients = {name: _client(app, name, staff[name]) for name, app in apps.items()}
    coordinator = _client(apps["settlement"], "settlement", coordinator_token(identity))
    async with running(apps):
        yield Agencies(kafka, identity, prefix, settings, clients, coordinator)
    for client in [*clients.values(), coordinator]:
        await client.aclose()


async def test_clocks_gaps_and_key_figures_of_a_scripted_cohort(agencies: Agencies) -> None:
    ok = agencies.ok
    office, centre, red_cross = (agencies.clients[n] for n in ("settlement", "employment", "volunteering"))
    coordinator = agencies.coordinator

    for municipality in (scenario.OSLO, scenario.LILLEHAMMER, BILLUND):
        await ok(office.post("/municipalities", json=municipality), 201)
    await ok(office.put("/municipalities/0301/quotas/2025", json={"requested": 10}))
    await ok(office.put("/municipalities/530/quotas/2025", json={"requested": 5}))

    async def case_of(newcomer: str) -> Any:
        response = await centre.get(f"/cases/{newcomer}")
        return response.json() if response.status_code == 200 else None

    async def settle(
        name: str, on: str, *, code: str = "0301", visited_on: str | None = None, **person: Any
    ) -> str:
        if visited_on is not None:  # placed by the Immigration Service, not a quota refugee
            person["arrival_route"] = "asylum"
        registered = await ok(office.post("/newcomers", json=scenario.person(name, **person)), 201)
        district = "Grorud" if code == "0301" else "Billund"
        body = {"municipality_code": code, "district": district, "settled_on": on}
        if visited_on is not None:
            body["placement_decided_on"] = visited_on
        await ok(office.post(f"/newcomers/{registered['id']}/settlement", json=body))
        return str(registered["id"])

    async with agencies.school():
        school = agencies.clients["education"]
        for name, code, district, starts_on, ends_on, capacity, language in (
            ("Norsk 1", "0301", "Grorud", "2025-02-03", "2025-12-19", 1, "nb"),
            ("Norsk 2", "0301", "Grorud", "2025-03-17", "2025-12-19", 10, "nb"),
            ("Dansk 1", "530", "Billund", "2025-06-02", "2026-05-29", 10, "da"),
        ):
            course = {
                "name": name,
                "language": language,
                "hours_per_week": 15,
                "capacity": capacity,
                "municipality_code": code,
                "district": district,
                "starts_on": starts_on,
                "ends_on": ends_on,
            }
            await ok(school.post("/courses", json=course), 201)

        async def learner(newcomer: str) -> Any:
            response = await school.get(f"/learners/{newcomer}")
            return response.json() if response.status_code == 200 else None

        n1 = await settle("Amina", "2025-01-15")
        n4 = await settle("Lina", "2025-01-15", birth_date="2015-06-01", arrival_route="family_reunification")
        n2 = await settle("Bilal", "2025-02-10", sex="male")
        n3 = await settle("Hamid", "2025-03-03", sex="male")
        d1 = await settle("Mariam", "2025-03-10", code="530", visited_on="2025-03-10")
        d2 = await settle("Ali", "2025-04-14", code="530", visited_on="2025-04-14", sex="male")
        for adult in (n1, n2, n3, d1, d2):
            await eventually(lambda adult=adult: case_of(adult))  # type: ignore[misc]
            assert (await eventually(lambda adult=adult: learner(adult)))["status"] == "enrolled"  # type: ignore[misc]

        # Employment and the plans, with the dates the case workers enter.
        for newcomer, mapped_on in ((n1, "2025-03-20"), (n2, "2025-05-20"), (n3, "2025-04-01")):
            mapping = {"education_level": "secondary", "completed_on": mapped_on}
            await ok(centre.put(f"/cases/{newcomer}/mapping", json=mapping))
        for newcomer, agreed_on in ((n1, "2025-04-01"), (n3, "2025-04-10"), (d1, "2025-05-20")):
            plan = {"end_goal": "work", "language_goal": "B1", "programme_months": 24, "agreed_on": agreed_on}
            await ok(office.put(f"/newcomers/{newcomer}/integration-plan", json=plan))
        oslo_employer = await ok(
            centre.post(
                "/employers",
                json={
                    "name": "Grorud sykehjem",
                    "organisation_number": "912345678",
                    "municipality_code": "0301",
                },
            ),
            201,
        )
        billund_employer = await ok(
            centre.post(
                "/employers",
                json={
                    "name": "Billund Plejecenter",
                    "organisation_number": "12345678",
                    "municipality_code": "530",
                },
            ),
            201,
        )

        async def place(newcomer: str, employer: dict[str, Any], starts_on: str, **more: Any) -> None:
            placement = {
                "employer_id": employer["id"],
                "kind": "work_practice",
                "starts_on": starts_on,
                "ends_on": "2025-12-19",
                "hours_per_week": 30,
                "professional_mentor": "Kari",
                **more,
            }
            await ok(centre.post(f"/cases/{newcomer}/placements", json=placement), 201)

        await place(n1, oslo_employer, "2025-05-05")
        await place(d1, billund_employer, "2025-05-26")
        await ok(
            school.post(
                f"/learners/{n2}/assessments",
                json={"skill": "speaking", "level": "B1", "tested_on": "2025-06-10"},
            ),
            201,
        )
        await eventually(lambda: _has(case_of(n2), "language_level", "B1"))
        await place(n2, oslo_employer, "2025-06-02", min_language_level="B1")
        for newcomer, days in ((d1, ("04-01", "05-01", "06-01", "08-01")), (d2, ("05-15", "07-01"))):
            for day in days:
                await ok(centre.post(f"/cases/{newcomer}/follow-ups", json={"held_on": f"2025-{day}"}), 201)
        outcome = {"kind": "employment", "started_on": "2025-06-01", "hours_per_week": 37.5}
        await ok(centre.post(f"/cases/{n1}/outcomes", json=outcome))
        await ok(centre.post(f"/cases/{n2}/closure", json={"end_reason": "other", "closed_on": "2025-08-01"}))

        # A volunteer friend for Amina.
        organisation = await ok(
            red_cross.post(
                "/organisations",
                json={"name": "Røde Kors Oslo", "kind": "red_cross", "municipality_code": "0301"},
            ),
            201,
        )
        friend = await ok(
            red_cross.post(
                "/volunteers",
                json={
                    "organisation_id": organisation["id"],
                    "name": "Ingrid",
                    "languages": ["nb", "ar"],
                    "age_band": "30-44",
                    "district": "Grorud",
                    "hours_per_month": 8,
                    "roles": ["friend"],
                    "max_active_matches": 1,
                },
            ),
            201,
        )

        async def friend_request() -> Any:
            page = await ok(red_cross.get("/match-requests", params={"newcomer_id": n1, "kind": "friend"}))
            return page["items"][0] if page["items"] else None

        request = await eventually(friend_request)
        match = await ok(
            red_cross.post(f"/match-requests/{request['id']}/matches", json={"volunteer_id": friend["id"]}),
            201,
        )
        await ok(red_cross.post(f"/matches/{match['id']}/accept"))

    # The language school's service is down: Hamid moves, Yusuf is settled.
    handover = await ok(office.post(f"/newcomers/{n3}/handovers", json={"to_municipality_code": "3405"}), 201)
    await ok(office.post(f"/handovers/{handover['id']}/accept", json={"to_district": "Søre Ål"}))
    await ok(office.post(f"/handovers/{handover['id']}/complete", json={"completed_on": "2025-06-02"}))
    n5 = await settle("Yusuf", "2025-04-07", sex="male")
    await eventually(lambda: _has(case_of(n3), "municipality_code", "3405"))
    await eventually(lambda: case_of(n5))

    async def journey_types(newcomer: str) -> set[str]:
        journey = await ok(coordinator.get(f"/coordination/newcomers/{newcomer}/journey"))
        return {entry["type"] for entry in journey}

    expected_last = {
        n1: "samvirke.volunteering.friend.matched.v1",
        n2: "samvirke.employment.case.closed.v1",
        n3: "samvirke.employment.case.transferred.v1",
        n5: "samvirke.employment.case.opened.v1",
        d1: "samvirke.employment.follow-up.held.v1",
        d2: "samvirke.employment.follow-up.held.v1",
    }
    for newcomer, event_type in expected_last.items():
        await eventually(lambda n=newcomer, t=event_type: _contains(journey_types(n), t))  # type: ignore[misc]

    # --- statutory clocks -------------------------------------------------------------------
    names = {n1: "N1", n2: "N2", n3: "N3", n4: "N4", n5: "N5", d1: "D1", d2: "D2"}

    async def clocks(**params: Any) -> set[tuple[str, str]]:
        found = await ok(coordinator.get("/coordination/clocks", params=params))
        return {(names[c["newcomer_id"]], c["rule_id"]) for c in found if c["newcomer_id"] in names}

    at_risk = ["at_risk", "overdue"]
    assert await clocks(as_of="2025-05-02", agency="employment", status=at_risk) == {
        ("N2", "no.competence-mapping"),  # due 05-10
        ("D1", "dk.workplace-offer"),  # takeover 05-01, due 05-15
    }
    assert await clocks(as_of="2025-05-02", agency="settlement", status=at_risk) == {
        ("N2", "no.programme-decision")
    }
    assert await clocks(as_of="2025-05-20", agency="employment", status=["overdue"]) == {
        ("D1", "dk.workplace-offer")
    }
    breached = {
        ("N2", "no.programme-decision"),
        ("N5", "no.competence-mapping"),
        ("N5", "no.programme-decision"),
        ("D2", "dk.integration-contract"),
        ("D2", "dk.workplace-offer"),
        ("D2", "dk.follow-ups"),
    }
    assert await clocks(status=["breached"]) == breached
    assert await clocks(status=["breached"], agency="employment", municipality_code="530") == {
        ("D2", "dk.workplace-offer"),
        ("D2", "dk.follow-ups"),
    }
    mariam = {c["rule_id"]: c for c in await ok(coordinator.get(f"/coordination/newcomers/{d1}/clocks"))}
    assert {rule: _clock(c) for rule, c in mariam.items()} == {
        "dk.integration-contract": ("2025-05-01", "2025-06-01", "2025-06-01", "met", "2025-05-20", False),
        "dk.danish-lessons": ("2025-05-01", "2025-06-01", "2025-06-01", "met_late", "2025-06-02", True),
        "dk.workplace-offer": ("2025-05-01", "2025-05-15", "2025-06-01", "met_late", "2025-05-26", False),
        "dk.follow-ups": ("2025-05-01", "2025-11-01", "2025-11-01", "met", "2025-08-01", False),
    }
    assert mariam["dk.danish-lessons"]["breached_on"] == "2025-06-02"
    ali = {c["rule_id"]: c for c in await ok(coordinator.get(f"/coordination/newcomers/{d2}/clocks"))}
    assert {rule: c["started_on"] for rule, c in ali.items()} == dict.fromkeys(mariam, "2025-06-02")
    assert await ok(coordinator.get(f"/coordination/newcomers/{n4}/clocks")) == []  # a child

    # --- registration gaps while the school's service is down -----------------------------
    async def gaps(**params: Any) -> set[tuple[str, str, str, str]]:
        found = await ok(coordinator.get("/coordination/gaps", params=params))
        return {
            (names[g["newcomer_id"]], g["kind"], g["agency"], g["since"])
            for g in found
            if g["newcomer_id"] in names
        }

    lasting = {
        ("N2", "level_not_assessed", "employment", "2025-06-02"),
        ("N2", "end_reason_missing", "employment", "2025-08-01"),
    }
    while_down = {
        ("N3", "open_after_handover", "education", "2025-06-02"),
        ("N5", "no_learner_record", "education", "2025-04-07"),
    }
    # The school gets 14 days from when it was told (today), however old the dates.
    in_two_weeks = date.today() + timedelta(days=14)  # now, not at import: a run may cross midnight
    assert await gaps() == lasting
    assert await gaps(as_of=str(in_two_weeks)) == lasting | while_down
    swept = await ok(coordinator.post("/coordination/sweeps"))
    assert (swept["clock_breaches_published"], swept["gaps_published"]) == (6, 2)

    # --- the school's service is back: it catches up, and its gaps close ------------------
    async with agencies.school():
        await eventually(lambda: _contains(journey_types(n5), "samvirke.education.learner.enrolled.v1"))
        await eventually(lambda: _contains(journey_types(n3), "samvirke.education.learner.waitlisted.v1"))
        assert await gaps(as_of=str(in_two_weeks)) == lasting
        again = await ok(coordinator.post("/coordination/sweeps"))
        assert (again["clock_breaches_published"], again["gaps_published"]) == (0, 0)

        # --- key figures ----------------------------------------------------------------------
        oslo = await ok(coordinator.get("/coordination/kpis/0301/2025"))
        assert _figures(oslo) == {
            "settled": (5, 4, 1, 10, 0.4),
            "reunified_adults_children": (0, 1),  # Lina, born 2015
            "days_to_course_start": (16.5, 4),  # 0, 14, 19, 35
            "days_to_competence_mapping": (64, 3),  # 29, 64, 99
            "days_to_first_placement": (111, 2),  # 110, 112
            "volunteer_match": (1, 5, 0.2),
            "programme_ended": 2,
            "work_or_education_after_one_year": {
                "all": (1, 2, 0.5),
                "female": (1, 1, 1.0),
                "male": (0, 1, 0.0),
                "unspecified": (0, 0, None),
            },
            "target": 0.7,
        }
        billund = await ok(coordinator.get("/coordination/kpis/530/2025"))
        assert _figures(billund) == {
            "settled": (2, 2, 0, 5, 0.4),
            "reunified_adults_children": (0, 0),
            "days_to_course_start": (66.5, 2),  # 49, 84
            "days_to_competence_mapping": (None, 0),
            "days_to_first_placement": (77, 1),
            "volunteer_match": (0, 2, 0.0),
            "programme_ended": 0,
            "work_or_education_after_one_year": {
                "all": (0, 0, None),
                "female": (0, 0, None),
                "male": (0, 0, None),
                "unspecified": (0, 0, None),
            },
            "target": None,
        }
        csv = await coordinator.get("/coordination/kpis/0301/2025.csv")
        assert csv.status_code == 200
        assert csv.headers["content-type"].startswith("text/csv")
        lines = csv.text.splitlines()
        assert lines[0] == "municipality_code,year,indicator,group,value,count,of"
        assert "0301,2025,median_days_to_course_start,all,16.5,4," in lines
        assert "0301,2025,work_or_education_after_one_year,female,1.0,1,1" in lines
        assert "0301,2025,quota_share,all,0.4,4,10" in lines

    # --- the published breaches and gaps, once each -------------------------------------------
    records = await read_topic(agencies.kafka.bootstrap_servers, f"{agencies.prefix}settlement.events")
    published = [headers_of(r) for r in records]
    assert sorted(
        (names[h["ce_subject"]], _data(r)["rule_id"])
        for h, r in zip(published, records, strict=True)
        if h["ce_type"] == ClockBreached.type
    ) == sorted(breached)
    assert sorted(
        (names[h["ce_subject"]], _data(r)["kind"], _data(r)["agency"], _data(r)["since"])
        for h, r in zip(published, records, strict=True)
        if h["ce_type"] == RegistrationGapFound.type
    ) == sorted(lasting)

    # --- the journey: every agency, in the order things happened ---------------------------
    journey = await ok(coordinator.get(f"/coordination/newcomers/{n1}/journey"))
    in_2025 = [
        (e["occurred_on"], e["agency"], e["type"].split(".", 2)[2])
        for e in journey
        if e["occurred_on"] < "2026"
    ]
    assert in_2025[:5] == [
        ("2025-01-15", "settlement", "newcomer.settled.v1"),
        ("2025-01-15", "education", "learner.enrolled.v1"),
        ("2025-03-20", "employment", "mapping.completed.v1"),
        ("2025-04-01", "settlement", "integration-plan.agreed.v1"),
        ("2025-05-05", "employment", "placement.started.v1"),
    ]
    assert set(in_2025[5:]) == {
        ("2025-06-01", "employment", "employment.started.v1"),
        ("2025-06-01", "employment", "placement.ended.v2"),
        ("2025-06-01", "employment", "case.closed.v1"),
        ("2025-06-01", "education", "learner.waitlisted.v1"),  # for an evening course, beside the job
    }
    assert {e["agency"] for e in journey} == {"settlement", "education", "employment", "volunteering"}
    assert all("given_name" not in e["facts"] and "phone" not in e["facts"] for e in journey)

    # Only the coordinator role sees across agencies.
    staff = await office.get("/coordination/gaps")
    assert staff.status_code == 403, staff.text


async def test_denmark_takes_each_arrival_route_over_on_the_day_the_law_gives(agencies: Agencies) -> None:
    """Three more Billund newcomers, one per way in (integrationsloven § 4, stk. 2 and 3), through the API:

    Noor   a quota refugee, registered in CPR 03-12 (settled 03-10): taken over 03-12
    Samir  family-reunified, registered in CPR 04-03 (settled 04-01): taken over 04-03
    Hana   visitation 05-15 (1 July by the rule), settled 05-20, taken over early with consent 06-02
    """
    ok = agencies.ok
    office, coordinator = agencies.clients["settlement"], agencies.coordinator
    await ok(office.post("/municipalities", json=BILLUND), 201)
    await ok(office.put("/municipalities/530/quotas/2025", json={"requested": 5}))

    async def settle(name: str, route: str, **dates: str) -> str:
        person = scenario.person(name, registered_in="530", arrival_route=route)
        registered = await ok(office.post("/newcomers", json=person), 201)
        body = {"municipality_code": "530", "district": "Billund", **dates}
        await ok(office.post(f"/newcomers/{registered['id']}/settlement", json=body))
        return str(registered["id"])

    noor = await settle("Noor", "resettlement", settled_on="2025-03-10", registered_resident_on="2025-03-12")
    samir = await settle(
        "Samir", "family_reunification", settled_on="2025-04-01", registered_resident_on="2025-04-03"
    )
    hana = await settle(
        "Hana",
        "asylum",
        settled_on="2025-05-20",
        placement_decided_on="2025-05-15",
        early_takeover_on="2025-06-02",
    )

    async def clocks_of(newcomer: str) -> dict[str, tuple[str, str, str]] | None:
        found = await ok(coordinator.get(f"/coordination/newcomers/{newcomer}/clocks"))
        return {c["rule_id"]: (c["started_on"], c["due_on"], c["limit_on"]) for c in found} or None

    assert await eventually(lambda: clocks_of(noor)) == {
        "dk.integration-contract": ("2025-03-12", "2025-04-12", "2025-04-12"),
        "dk.danish-lessons": ("2025-03-12", "2025-04-12", "2025-04-12"),
        "dk.workplace-offer": ("2025-03-12", "2025-03-26", "2025-04-12"),
        "dk.follow-ups": ("2025-03-12", "2025-09-12", "2025-09-12"),
        "dk.health-assessment": ("2025-03-12", "2025-09-12", "2025-09-12"),  # quota refugees only
    }
    assert await eventually(lambda: clocks_of(samir)) == {
        "dk.integration-contract": ("2025-04-03", "2025-05-03", "2025-05-03"),
        "dk.danish-lessons": ("2025-04-03", "2025-05-03", "2025-05-03"),
        "dk.workplace-offer": ("2025-04-03", "2025-04-17", "2025-05-03"),
        "dk.follow-ups": ("2025-04-03", "2025-10-03", "2025-10-03"),
    }
    assert await eventually(lambda: clocks_of(hana)) == {
        "dk.integration-contract": ("2025-06-02", "2025-07-02", "2025-07-02"),
        "dk.danish-lessons": ("2025-06-02", "2025-07-02", "2025-07-02"),
        "dk.workplace-offer": ("2025-06-02", "2025-06-16", "2025-07-02"),
        "dk.follow-ups": ("2025-06-02", "2025-12-02", "2025-12-02"),
    }
    # The offer stops the quota refugee's health clock, through settlement's own events.
    await ok(office.post(f"/newcomers/{noor}/health-assessment-offer", json={"offered_on": "2025-04-22"}))

    async def health_of_noor() -> dict[str, Any] | None:
        found = await ok(coordinator.get(f"/coordination/newcomers/{noor}/clocks"))
        clock = next(c for c in found if c["rule_id"] == "dk.health-assessment")
        return clock if clock["status"] == "met" else None

    assert (await eventually(health_of_noor))["stopped_on"] == "2025-04-22"

    # The basic grant (§ 45, stk. 4) runs monthly from each takeover's month: March, April and June.
    [first, *_] = await ok(coordinator.get(f"/coordination/newcomers/{hana}/grant"))
    assert (first["year"], first["grant_year"], first["months"], first["amount"]) == (2025, 1, 7, 7 * 3127)
    grant = await ok(coordinator.get("/coordination/grants/530/2025"))
    assert (grant["persons"], grant["currency"], grant["total"]) == (3, "DKK", (10 + 9 + 7) * 3127)
    assert (grant["estimated"], grant["rates_checked"]) == (True, True)  # 2024's rates: 2025's are not in
    assert sum(line["months"] for line in grant["lines"]) == 26
    csv = await coordinator.get("/coordination/grants/530/2025.csv")
    assert csv.status_code == 200
    assert csv.text.startswith("municipality_code,year,arrival_year,grant_year")


def _clock(clock: dict[str, Any]) -> tuple[Any, ...]:
    return (
        clock["started_on"],
        clock["due_on"],
        clock["limit_on"],
        clock["status"],
        clock["stopped_on"],
        clock["breached"],
    )


def _figures(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "settled": (
            report["settled"],
            report["settled_by_quota"],
            report["family_reunification"],
            report["quota_requested"],
            report["quota_share"],
        ),
        "reunified_adults_children": (
            report["family_reunification_adults"],
            report["family_reunification_children"],
        ),
        **{
            name: (report[name]["days"], report[name]["reached"])
            for name in ("days_to_course_start", "days_to_competence_mapping", "days_to_first_placement")
        },
        "volunteer_match": tuple(report["volunteer_match"].values()),
        "programme_ended": report["programme_ended"],
        "work_or_education_after_one_year": {
            group: tuple(share.values())
            for group, share in report["work_or_education_after_one_year"].items()
        },
        "target": report["work_or_education_target"],
    }


def _data(record: Any) -> dict[str, Any]:
    return json.loads(record.value)  # type: ignore[no-any-return]


async def _has(found: Awaitable[Any], field: str, value: Any) -> Any:
    result = await found
    return result if result is not None and result.get(field) == value else None


async def _contains(found: Awaitable[set[T]], item: T) -> bool:
    return item in await found
