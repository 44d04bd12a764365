"""Volunteering on real Kafka: consent-gated intake from settlement and employment, and its events."""

from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from shared.contracts.events import volunteering
from tests.conftest import eventually
from tests.factories import mentor_requested
from tests.integration.conftest import Platform
from tests.integration.test_erasure import PRIVACY_EVENTS
from tests.integration.test_first_flow import settle
from tests.kafka_tools import headers_of, produce, read_topic, record_of

pytestmark = pytest.mark.kafka

TODAY = date.today()


async def test_volunteering_matches_consenting_newcomers_and_forgets_them_on_withdrawal(
    platform: Platform,
) -> None:
    red_cross, office = platform.clients["volunteering"], platform.clients["settlement"]

    async def ok(response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    async def requests_of(newcomer_id: str, kind: str) -> Any:
        page = await ok(
            await red_cross.get("/match-requests", params={"newcomer_id": newcomer_id, "kind": kind})
        )
        return page["items"] or None

    organisation = await ok(
        await red_cross.post(
            "/organisations",
            json={"name": "Røde Kors Oslo", "kind": "red_cross", "municipality_code": "0301"},
        ),
        201,
    )
    friend = await ok(
        await red_cross.post(
            "/volunteers",
            json={
                "organisation_id": organisation["id"],
                "name": "Ingrid",
                "languages": ["nb", "ar"],
                "age_band": "30-44",
                "district": "Grorud",
                "hours_per_month": 8,
                "roles": ["friend", "language_mentor"],
                "occupation_code": "5322",
                "max_active_matches": 2,
            },
        ),
        201,
    )

    consenting = await settle(office, given_name="Amira", consent=True)
    refusing = await settle(office, given_name="Farid", consent=False)
    [request] = await eventually(lambda: requests_of(consenting, "friend"))
    # Whose request it is stays unsaid until one of the organisation's volunteers is matched.
    assert (await ok(await red_cross.get(f"/match-requests/{request['id']}")))["given_name"] is None

    [candidate] = await ok(await red_cross.get(f"/match-requests/{request['id']}/candidates"))
    assert candidate["volunteer_id"] == friend["id"]
    assert {p["part"] for p in candidate["parts"]} >= {"language", "district", "availability"}
    match = await ok(
        await red_cross.post(f"/match-requests/{request['id']}/matches", json={"volunteer_id": friend["id"]}),
        201,
    )
    await eventually(lambda: _named(red_cross, request["id"], "Amira"))  # from the volunteer-contact channel
    await ok(await red_cross.post(f"/matches/{match['id']}/accept"))
    await ok(await red_cross.post(f"/matches/{match['id']}/activate"))
    await ok(
        await red_cross.post(f"/matches/{match['id']}/hours", json={"logged_on": str(TODAY), "hours": 2}), 201
    )

    # The job centre asks for a language mentor, for both newcomers.
    placement = uuid4()
    await produce(
        platform.bootstrap_servers,
        platform.topic("employment.events"),
        [
            record_of(
                mentor_requested(
                    newcomer_id=who, placement_id=placement, languages=["ar"], requested_on=TODAY
                ),
                source="/samvirke/employment",
            )
            for who in (consenting, refusing)
        ],
    )
    [mentoring] = await eventually(lambda: requests_of(consenting, "language_mentor"))
    mentor_match = await ok(
        await red_cross.post(
            f"/match-requests/{mentoring['id']}/matches", json={"volunteer_id": friend["id"]}
        ),
        201,
    )
    await ok(await red_cross.post(f"/matches/{mentor_match['id']}/accept"))

    # Consent is withdrawn at the refugee office: volunteering ends the matches and forgets the newcomer.
    await ok(await office.delete(f"/newcomers/{consenting}/consents/volunteer_contact"))

    async def erased(newcomer_id: str) -> Any:
        report = await ok(await red_cross.get(f"/privacy/newcomers/{newcomer_id}"))
        return report if report["erasures"] and not any(report["rows_held"].values()) else None

    report = await eventually(lambda: erased(consenting))
    assert report["erasures"][0]["matches_ended"] == 2
    never = await ok(await red_cross.get(f"/privacy/newcomers/{refusing}"))
    assert never == {**never, "erasures": []}
    assert not any(never["rows_held"].values()), "nothing about a newcomer without consent"

    wanted = {
        event.type for event in volunteering.EVENTS if event not in PRIVACY_EVENTS
    }  # those: test_erasure, test_access_log

    async def published() -> set[str] | None:
        records = await read_topic(platform.bootstrap_servers, platform.topic("volunteering.events"))
        assert all(r.key != refusing.encode() for r in records)
        types = {headers_of(r)["ce_type"] for r in records}
        return types if wanted <= types else None

    assert await eventually(published) == wanted


async def _named(client: Any, request_id: str, name: str) -> Any:
    response = await client.get(f"/match-requests/{request_id}")
    return response.json() if response.json()["given_name"] == name else None
