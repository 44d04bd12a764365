"""What staff see over HTTP: clear problems for bad input, only their agency's data."""

from uuid import uuid4

import httpx
import pytest
import yaml

from tests import scenario
from tests.conftest import eventually
from tests.integration.conftest import Platform
from tests.integration.test_first_flow import settle
from tests.kafka_tools import headers_of, read_topic

pytestmark = pytest.mark.kafka

PROBLEM = "application/problem+json"


def with_token(client: httpx.AsyncClient, token: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(transport=client._transport, base_url=client.base_url, headers=headers)


async def test_malformed_json_gets_a_problem_naming_the_error(platform: Platform) -> None:
    response = await platform.clients["settlement"].post(
        "/newcomers", content=b'{"given_name": "Amira", ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert "JSON decode error" in response.json()["detail"]


async def test_invalid_fields_are_each_named(platform: Platform) -> None:
    response = await platform.clients["settlement"].post(
        "/newcomers",
        json={
            "given_name": "",
            "family_name": "Haddad",
            "sex": "female",
            "birth_date": "not a date",
            "country_of_origin": "Syria",
        },
    )
    problem = response.json()
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert {e["location"] for e in problem["errors"]} == {
        "body.given_name",
        "body.birth_date",
        "body.country_of_origin",
    }


async def test_unknown_newcomer_is_not_found_and_double_settlement_conflicts(platform: Platform) -> None:
    settlement = platform.clients["settlement"]
    missing = await settlement.get(f"/newcomers/{uuid4()}")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM

    newcomer_id = await settle(settlement)
    again = await settlement.post(f"/newcomers/{newcomer_id}/settlement", json=scenario.settlement())
    assert again.status_code == 409
    assert "is settled in 0301" in again.json()["detail"]


async def test_a_refused_request_changes_and_publishes_nothing(platform: Platform) -> None:
    settlement = platform.clients["settlement"]
    await settle(settlement)  # sets Oslo up
    newcomer = (await settlement.post("/newcomers", json=scenario.person("Yonas"))).json()
    refused = await settlement.post(
        f"/newcomers/{newcomer['id']}/settlement", json=scenario.settlement(district="Atlantis")
    )
    assert refused.status_code == 422
    assert "no district 'Atlantis'" in refused.json()["detail"]
    assert (await settlement.get(f"/newcomers/{newcomer['id']}")).json()["status"] == "registered"

    async def published_for_newcomer() -> list[str] | None:
        records = await read_topic(platform.bootstrap_servers, platform.topic("settlement.events"))
        types = [headers_of(r)["ce_type"] for r in records if r.key == newcomer["id"].encode()]
        return types or None

    assert await eventually(published_for_newcomer) == [
        "samvirke.settlement.newcomer.registered.v1",
        "samvirke.settlement.consent.given.v1",
    ]


async def test_api_needs_a_token_of_the_services_own_agency(platform: Platform) -> None:
    education = platform.clients["education"]
    async with with_token(education, None) as anonymous:
        response = await anonymous.get("/learners")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    foreign = platform.identity.token("oslo-officer", client="samvirke-education")  # settlement staff
    async with with_token(education, foreign) as wrong_agency:
        response = await wrong_agency.get("/learners")
        assert response.status_code == 403
        assert "education service" in response.json()["detail"]


async def test_coordination_needs_the_coordinator_role_and_names_bad_input(platform: Platform) -> None:
    staff = await platform.clients["settlement"].get("/coordination/clocks")
    assert staff.status_code == 403
    assert "coordinator role" in staff.json()["detail"]
    coordinator = platform.coordinator
    unknown = await coordinator.get(f"/coordination/newcomers/{uuid4()}/journey")
    assert unknown.status_code == 404
    assert (await coordinator.get("/coordination/kpis/9999/2025")).status_code == 404
    for path, params in (
        ("/coordination/clocks", {"as_of": "2025-13-01"}),
        ("/coordination/clocks", {"status": "late"}),
        ("/coordination/gaps", {"kind": "typo", "agency": "police"}),
        ("/coordination/kpis/0301/1850", {}),
    ):
        response = await coordinator.get(path, params=params)
        assert response.status_code == 422, (path, params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    rules = (await coordinator.get("/coordination/rules")).json()
    assert {rule_set["country"] for rule_set in rules} == {"NO", "DK"}


async def test_health_docs_and_event_catalogue_are_open(platform: Platform) -> None:
    async with with_token(platform.clients["employment"], None) as anonymous:
        assert (await anonymous.get("/healthz")).json() == {"status": "ok"}
        ready = (await anonymous.get("/readyz")).json()
        assert ready == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}
        assert "/cases" in (await anonymous.get("/openapi.json")).json()["paths"]
        asyncapi = (await anonymous.get("/asyncapi.json")).json()
        assert asyncapi["asyncapi"].startswith("3.")
        assert any(
            ch["address"] == platform.topic("employment.events") for ch in asyncapi["channels"].values()
        )
        assert any(
            ch["address"] == platform.topic("settlement.events") for ch in asyncapi["channels"].values()
        )
        assert "CaseOpened" in str(asyncapi["components"])
        assert yaml.safe_load((await anonymous.get("/asyncapi.yaml")).text) == asyncapi


async def test_newcomers_are_filtered_and_paginated(platform: Platform) -> None:
    settlement = platform.clients["settlement"]
    ids = [await settle(settlement, given_name=name) for name in ("Amira", "Yonas", "Farid")]
    page = (await settlement.get("/newcomers", params={"status": "settled", "limit": 2, "offset": 0})).json()
    rest = (await settlement.get("/newcomers", params={"status": "settled", "limit": 2, "offset": 2})).json()
    assert page["total"] == rest["total"] == 3
    assert [n["id"] for n in page["items"] + rest["items"]] == ids
    assert (await settlement.get("/newcomers", params={"municipality_code": "9999"})).json()["total"] == 0
    bad = await settlement.get("/newcomers", params={"limit": 0})
    assert bad.status_code == 422
