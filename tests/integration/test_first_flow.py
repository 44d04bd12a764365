"""A settled newcomer reaches every agency, through real Kafka."""

import httpx
import pytest

from tests.conftest import eventually
from tests.integration.conftest import Platform

pytestmark = pytest.mark.kafka


async def settle(settlement: httpx.AsyncClient, *, birth_date: str = "1990-04-02", consent: bool = True) -> str:
    registered = await settlement.post(
        "/newcomers",
        json={
            "given_name": "Amira",
            "family_name": "Haddad",
            "birth_date": birth_date,
            "country_of_origin": "SY",
            "volunteer_contact_consent": consent,
        },
    )
    assert registered.status_code == 201, registered.text
    newcomer_id: str = registered.json()["id"]
    settled = await settlement.post(
        f"/newcomers/{newcomer_id}/settlement",
        json={"municipality_code": "0301", "district": "Grorud", "settled_on": "2026-11-02"},
    )
    assert settled.status_code == 200, settled.text
    assert settled.json()["status"] == "settled"
    return newcomer_id


async def found(client: httpx.AsyncClient, path: str) -> dict | None:
    response = await client.get(path)
    return response.json() if response.status_code == 200 else None


async def test_settled_adult_who_consented_reaches_all_three_agencies(platform: Platform) -> None:
    newcomer_id = await settle(platform.clients["settlement"])

    learner = await eventually(lambda: found(platform.clients["education"], f"/learners/{newcomer_id}"))
    case = await eventually(lambda: found(platform.clients["employment"], f"/cases/{newcomer_id}"))

    async def match_requests() -> list | None:
        page = await found(platform.clients["volunteering"], f"/match-requests?newcomer_id={newcomer_id}")
        return page["items"] if page else None

    requests = await eventually(match_requests)
    assert learner["municipality_code"] == "0301"
    assert learner["status"] == "awaiting_course"
    assert case["competence_mapping_due_on"] == "2027-02-02"
    assert [r["kind"] for r in requests] == ["friend"]
