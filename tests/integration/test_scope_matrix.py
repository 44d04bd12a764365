"""Scope matrix: every read route of every service, asked by staff of the scope that holds the data
and by staff of another, with real tokens from the identity provider.

Oslo's staff (and the Red Cross) hold a settled newcomer, a learner, a course,
a case, an employer, a volunteer, a request and a match. On every GET route,
with those records' ids in the path, the other scope's staff (Billund's or
Lillehammer's, the church city mission) must get a 404, or an answer that
names none of the records; the holding scope's staff see them.
"""

import re
from functools import partial
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from deploy.local.identity import IdentityProvider
from services.education.handlers.learners import open_learner_record
from services.education.store import EducationStore
from services.employment.handlers.cases import open_case
from services.employment.store import EmploymentStore
from services.volunteering.handlers.privacy import keep_volunteer_contact
from services.volunteering.handlers.requests import on_settled
from services.volunteering.store import VolunteeringStore
from shared.contracts.events.settlement import AgeGroup, VolunteerContact
from shared.domain.statutory import load_rule_sets
from shared.service import service_of
from tests import factories, scenario
from tests.apps import SERVICES, app_of
from tests.integration.test_access import OPEN_PATHS

pytestmark = pytest.mark.kafka  # needs the identity provider the session starts with the broker

# Who holds the data, and who must not see it, per service (accounts of the development realm).
HOLDER = {
    "settlement": "oslo-officer",
    "education": "oslo-teacher",
    "employment": "oslo-caseworker",
    "volunteering": "redcross-organiser",
}
OUTSIDER = {
    "settlement": "billund-officer",
    "education": "lillehammer-teacher",
    "employment": "lillehammer-caseworker",
    "volunteering": "church-organiser",
}
COORDINATORS = ("oslo-coordinator", "lillehammer-coordinator")
AUDITORS = {  # for the trail: Oslo's internal control, and another municipality's
    "settlement": ("oslo-auditor", "billund-auditor"),
    "education": ("oslo-school-auditor", "lillehammer-school-auditor"),
}


async def _apply(app: FastAPI, make_store: Any, handler: Any, *args: Any) -> Any:
    async with service_of(app).database.transaction() as session:
        return await handler(make_store(session), *args)


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _seed(apps: dict[str, FastAPI], clients: dict[str, httpx.AsyncClient]) -> dict[str, str]:
    """Oslo's records in each service, made as its staff and consumers make them; their ids by path name."""
    office, school, centre, red_cross = (clients[n] for n in SERVICES)
    _ok(await office.post("/municipalities", json=scenario.OSLO), 201)
    _ok(await office.put("/municipalities/0301/quotas/2026", json={"requested": 20}))
    newcomer = _ok(await office.post("/newcomers", json=scenario.person()), 201)["id"]
    _ok(await office.post(f"/newcomers/{newcomer}/settlement", json=scenario.settlement()))
    plan = {"end_goal": "work", "language_goal": "B1", "agreed_on": "2026-11-20", "programme_months": 24}
    plan_answer = await office.put(f"/newcomers/{newcomer}/integration-plan", json=plan)
    assert plan_answer.status_code in (200, 201), plan_answer.text
    members = {"members": [{"newcomer_id": newcomer, "relation": "head"}]}
    household = _ok(await office.post("/households", json=members), 201)["id"]

    event = factories.settled(newcomer_id=uuid4())
    await _apply(apps["education"], EducationStore, open_learner_record, event)
    course = {
        "name": "Norsk A1",
        "hours_per_week": 15,
        "capacity": 10,
        "municipality_code": "0301",
        "district": "Alna",
        "starts_on": "2026-04-01",
        "ends_on": "2026-09-01",
    }
    course_id = _ok(await school.post("/courses", json=course), 201)["id"]
    await _apply(apps["employment"], EmploymentStore, partial(open_case, rule_sets=load_rule_sets()), event)
    employer = {"name": "Alna sykehjem", "organisation_number": "123456789", "municipality_code": "0301"}
    employer_id = _ok(await centre.post("/employers", json=employer), 201)["id"]

    organisation = _ok(await red_cross.post("/organisations", json=scenario.red_cross("0301")), 201)["id"]
    volunteer = {
        "organisation_id": organisation,
        "name": "Ingrid",
        "languages": ["ar"],
        "age_band": "30-44",
        "district": "Alna",
        "hours_per_month": 8,
        "roles": ["friend"],
    }
    volunteer_id = _ok(await red_cross.post("/volunteers", json=volunteer), 201)["id"]
    contact = VolunteerContact(
        newcomer_id=event.newcomer_id,
        given_name="Amira",
        phone=None,
        languages=["ar"],
        municipality_code="0301",
        district="Alna",
        age_group=AgeGroup.ADULT,
    )
    await _apply(apps["volunteering"], VolunteeringStore, keep_volunteer_contact, contact)
    await _apply(apps["volunteering"], VolunteeringStore, on_settled, event)
    [request] = await _apply(
        apps["volunteering"], VolunteeringStore, VolunteeringStore.requests_of, event.newcomer_id
    )
    match = _ok(
        await red_cross.post(f"/match-requests/{request.id}/matches", json={"volunteer_id": volunteer_id}),
        201,
    )
    return {
        "settlement:newcomer_id": newcomer,
        "settlement:household_id": household,
        "settlement:code": "0301",
        "education:newcomer_id": str(event.newcomer_id),
        "education:course_id": course_id,
        "employment:newcomer_id": str(event.newcomer_id),
        "volunteering:request_id": str(request.id),
        "volunteering:match_id": match["id"],
        "volunteering:newcomer_id": str(event.newcomer_id),
        "employment:employer_id": employer_id,
        "volunteering:organisation_id": organisation,
        "volunteering:volunteer_id": volunteer_id,
    }


def _names_any(response: httpx.Response, secrets: set[str]) -> bool:
    """Whether the answer names a seeded record; a privacy report, by counting rows about the person;
    the audit trail, by showing what Oslo's staff did."""
    if response.url.path == "/audit":  # entries of Oslo's staff (another scope's own probes are theirs)
        return any("0301" in entry["scope"].split() for entry in response.json()["items"])
    if response.url.path.startswith("/privacy/"):
        held = response.json()["rows_held"]
        return any(count for table, count in held.items() if table != "outbox")  # the service's own
    return any(secret in response.text for secret in secrets)


def _reads(app: FastAPI, service: str, ids: dict[str, str]) -> list[str]:
    """Every GET route's URL with the seeded records' ids (or a year) in its path."""
    urls = []
    for path, operations in app.openapi()["paths"].items():
        if path in OPEN_PATHS or "get" not in operations or path.startswith(("/docs", "/openapi")):
            continue

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            return "2026" if name == "year" else ids.get(f"{service}:{name}", str(uuid4()))

        urls.append(re.sub(r"\{([^}]+)\}", value, path))
    return urls


async def test_no_read_route_shows_another_scopes_records(identity: IdentityProvider, tmp_path: Path) -> None:
    apps = {
        name: app_of(
            name,
            oidc_issuers=[identity.issuer],
            kafka_bootstrap_servers="127.0.0.1:1",
            data_dir=str(tmp_path),
        )
        for name in SERVICES
    }
    for app in apps.values():
        await service_of(app).database.create_schema()

    def client(name: str, username: str) -> httpx.AsyncClient:
        token = identity.token(username)
        transport = httpx.ASGITransport(app=apps[name])
        return httpx.AsyncClient(
            transport=transport, base_url=f"http://{name}", headers={"Authorization": f"Bearer {token}"}
        )

    holders = {name: client(name, HOLDER[name]) for name in SERVICES}
    outsiders = {name: client(name, OUTSIDER[name]) for name in SERVICES}
    coordinator, outside_coordinator = (client("settlement", who) for who in COORDINATORS)
    auditors: list[httpx.AsyncClient] = []
    try:
        ids = await _seed(apps, holders)
        # the records' ids, the volunteer's and the employer's names, and Oslo's code in any answer
        secrets = {*ids.values(), "Ingrid", "Alna sykehjem"}
        tried = leaked = shown = 0
        failures = []
        for name in SERVICES:
            for url in _reads(apps[name], name, ids):
                if url == "/audit" and name in AUDITORS:
                    inside, outside = (client(name, who) for who in AUDITORS[name])
                    auditors += [inside, outside]
                elif url.startswith("/coordination"):
                    inside, outside = coordinator, outside_coordinator
                else:
                    inside, outside = holders[name], outsiders[name]
                own = await inside.get(url, params={"year": 2026})
                other = await outside.get(url, params={"year": 2026})
                tried += 1
                if own.status_code == 200 and _names_any(own, secrets):
                    shown += 1  # the record is there to be seen
                if other.status_code not in (200, 403, 404) or (
                    other.status_code == 200 and _names_any(other, secrets)
                ):
                    leaked += 1
                    failures.append(f"{name} GET {url}: {other.status_code} {other.text[:200]}")
        print(f"\nscope matrix: {tried} read routes, {shown} showing the holder its records, {leaked} leaked")
        assert failures == []
        assert tried == sum(len(_reads(apps[n], n, ids)) for n in SERVICES)
        assert shown >= 20, "too few routes showed the seeded records to prove anything"
    finally:
        for each in [*holders.values(), *outsiders.values(), coordinator, outside_coordinator, *auditors]:
            await each.aclose()
        for app in apps.values():
            await service_of(app).database.dispose()
