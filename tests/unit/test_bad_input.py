"""Input the services refuse with a 422 naming the field: each request a fuzzer once turned into a 500."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.service import service_of
from tests import scenario
from tests.apps import SERVICES, app_of
from tests.issuer import ISSUER

TOO_BIG = 2**63  # SQLite's integers end below it


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    clients: dict[str, httpx.AsyncClient] = {}
    apps = []
    for name in SERVICES:
        app = app_of(name, kafka_bootstrap_servers="127.0.0.1:1", data_dir=str(tmp_path))
        await service_of(app).database.create_schema()
        apps.append(app)
        clients[name] = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=f"http://{name}",
            headers={"Authorization": f"Bearer {ISSUER.tokens()[name]}"},
        )
    yield clients
    for client in clients.values():
        await client.aclose()
    for app in apps:
        await service_of(app).database.dispose()


def refused_field(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["location"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("settlement", "/newcomers"),
        ("education", "/courses"),
        ("education", "/learners"),
        ("employment", "/cases"),
        ("employment", "/employers"),
        ("volunteering", "/volunteers"),
        ("volunteering", "/matches"),
    ],
)
async def test_an_offset_beyond_any_list_is_refused(
    api: dict[str, httpx.AsyncClient], service: str, path: str
) -> None:
    assert refused_field(await api[service].get(path, params={"offset": TOO_BIG})) == ["query.offset"]
    assert (await api[service].get(path, params={"offset": 1_000_000})).status_code == 200


async def test_numbers_no_municipality_or_activity_has_are_refused(api: dict[str, httpx.AsyncClient]) -> None:
    settlement, volunteering = api["settlement"], api["volunteering"]
    (await settlement.post("/municipalities", json=scenario.LILLEHAMMER)).raise_for_status()
    quota = await settlement.put(
        "/municipalities/3405/quotas/2026", json={"requested": 1190186138564078075904}
    )
    assert refused_field(quota) == ["body.requested"]
    assert refused_field(
        await settlement.put("/municipalities/3405/quotas/2026", json={"requested": False})
    ) == ["body.requested"]
    activity = {
        "organisation_id": "00000000-0000-0000-0000-000000000000",
        "kind": "meeting_place",
        "name": "Språkkafé",
        "held_on": "2026-11-02",
        "participants": TOO_BIG,
        "newcomer_participants": 1,
    }
    assert "body.participants" in refused_field(await volunteering.post("/activities", json=activity))


@pytest.mark.parametrize("field", ["given_name", "family_name", "sex", "languages", "education_level"])
async def test_null_for_a_detail_every_newcomer_has_is_refused(
    api: dict[str, httpx.AsyncClient], field: str
) -> None:
    newcomer = (await api["settlement"].post("/newcomers", json=scenario.person())).json()
    patch = await api["settlement"].patch(f"/newcomers/{newcomer['id']}", json={field: None})
    assert refused_field(patch) == [f"body.{field}"]
    unchanged = await api["settlement"].patch(f"/newcomers/{newcomer['id']}", json={"phone": None})
    assert (unchanged.status_code, unchanged.json()["phone"], unchanged.json()[field]) == (
        200,
        None,
        newcomer[field],
    )


async def test_a_country_code_is_checked_as_typed(api: dict[str, httpx.AsyncClient]) -> None:
    person = scenario.person(country_of_origin="òß")  # two characters, "ÒSS" once upper-cased
    assert refused_field(await api["settlement"].post("/newcomers", json=person)) == [
        "body.country_of_origin"
    ]
    accepted = await api["settlement"].post("/newcomers", json=scenario.person(country_of_origin="er"))
    assert (accepted.status_code, accepted.json()["country_of_origin"]) == (201, "ER")


async def test_a_date_is_an_iso_date_never_a_number(api: dict[str, httpx.AsyncClient]) -> None:
    course = {
        "name": "Norsk A1",
        "hours_per_week": 15,
        "capacity": 10,
        "municipality_code": "3405",
        "district": "Søre Ål",
        "starts_on": 0,
        "ends_on": "2027-06-30",
    }
    assert refused_field(await api["education"].post("/courses", json=course)) == ["body.starts_on"]
    coordinator = {"Authorization": f"Bearer {ISSUER.coordinator_token()}"}
    for as_of in ("0", "1700000000", "2026-1-2"):
        clocks = await api["settlement"].get(
            "/coordination/clocks", params={"as_of": as_of}, headers=coordinator
        )
        assert refused_field(clocks) == ["query.as_of"], as_of


@pytest.mark.parametrize(
    "body",
    [{"municipality_code": "", "district": "Alna", "settled_on": "2026-03-01"}, {"external_reference": ""}],
)
async def test_empty_codes_are_refused(api: dict[str, httpx.AsyncClient], body: dict[str, Any]) -> None:
    settlement = api["settlement"]
    if "external_reference" in body:
        assert refused_field(await settlement.post("/newcomers", json=scenario.person(**body))) == [
            "body.external_reference"
        ]
        return
    newcomer = (await settlement.post("/newcomers", json=scenario.person())).json()
    refused = await settlement.post(f"/newcomers/{newcomer['id']}/settlement", json=body)
    assert refused.status_code in (404, 422), refused.text  # no municipality has an empty code


async def test_a_course_names_a_municipality_by_its_official_number(
    api: dict[str, httpx.AsyncClient],
) -> None:
    course = {
        "name": "Norsk A1",
        "hours_per_week": 15,
        "capacity": 10,
        "municipality_code": "",
        "district": "Søre Ål",
        "starts_on": "2027-01-04",
        "ends_on": "2027-06-30",
    }
    assert refused_field(await api["education"].post("/courses", json=course)) == ["body.municipality_code"]
    assert (
        await api["education"].post("/courses", json={**course, "municipality_code": "3405"})
    ).status_code == 201
