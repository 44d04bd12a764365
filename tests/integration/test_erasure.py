"""Erasure across the four agencies on real Kafka: one request at settlement, each agency erases what
identifies the person and answers with proof, and no store or readable record keeps their name."""

from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from shared.contracts.events import CATALOGUE, COMPACTED_TOPICS, AccessRecorded, ErasureCompleted, settlement
from tests import traces
from tests.conftest import eventually
from tests.integration.conftest import Platform
from tests.integration.test_first_flow import settle
from tests.kafka_tools import compact_soon, headers_of, read_topic

pytestmark = pytest.mark.kafka

# Published only when a person's data is looked at or erased: the tests of each agency's events leave them to
# this test and test_access_log.
PRIVACY_EVENTS = frozenset(
    event
    for event in CATALOGUE.values()
    if issubclass(event, (AccessRecorded, ErasureCompleted, settlement.ErasureRequested))
)
# scenario.person()'s name, as typed and as search folds it, and phone number
TRACES = ("Amira", "Haddad", "AMIRA", "amira", "+47 400 00 000")


def _store(data_dir: Path, service: str) -> str:
    return f"sqlite+aiosqlite:///{data_dir / f'{service}.db'}"


async def test_an_erasure_is_carried_out_and_proven_by_every_agency(
    platform: Platform, tmp_path: Path
) -> None:
    office, school, centre, red_cross = (
        platform.clients[name] for name in ("settlement", "education", "employment", "volunteering")
    )
    newcomer = await settle(office, given_name="Amira", consent=True)

    async def found(client: Any, url: str, **params: Any) -> Any:
        answer = await client.get(url, params=params)
        return answer.json() if answer.status_code == 200 else None

    async def named(client: Any, url: str) -> Any:
        body = await found(client, url)
        return body if body and body.get("given_name") == "Amira" else None

    await eventually(lambda: named(school, f"/learners/{newcomer}"))  # the personal details arrived
    await eventually(lambda: named(centre, f"/cases/{newcomer}"))
    await eventually(lambda: found(red_cross, "/match-requests", newcomer_id=newcomer))
    assert traces.in_store(_store(tmp_path, "education"), TRACES), (
        "the test must erase something that was there"
    )

    assert (await office.get(f"/newcomers/{newcomer}/erasure")).status_code == 404
    refused = await office.post(f"/newcomers/{newcomer}/erasure", json={"legal_ground": "because"})
    assert refused.status_code == 422
    asked = await office.post(f"/newcomers/{newcomer}/erasure", json={"legal_ground": "no_longer_needed"})
    assert asked.status_code == 202, asked.text
    status = asked.json()
    assert status["complete"] is False
    assert {a["agency"]: a["status"] for a in status["agencies"]} == {
        "settlement": "completed",
        "education": "pending",
        "employment": "pending",
        "volunteering": "pending",
    }
    again = await office.post(f"/newcomers/{newcomer}/erasure", json={"legal_ground": "objection"})
    assert again.status_code == 409

    async def complete() -> Any:
        body = await found(office, f"/newcomers/{newcomer}/erasure")
        return body if body and body["complete"] else None

    done = await eventually(complete)
    proofs = {a["agency"]: a for a in done["agencies"]}
    assert all(a["status"] == "completed" for a in proofs.values())
    assert all(not any(a["rows_remaining"].values()) for a in proofs.values())
    # The personal-details tombstone may reach education and employment first and delete the contact
    # itself: either way none remains.
    assert proofs["education"]["rows_remaining"]["contact"] == 0
    assert proofs["employment"]["rows_remaining"]["contact"] == 0
    assert proofs["volunteering"]["rows_removed"]["consented_newcomer"] == 1
    assert proofs["volunteering"]["rows_removed"]["match_request"] >= 1
    assert proofs["settlement"]["rows_removed"] == {"newcomer (name, contact, case number)": 1}

    record = (await found(office, f"/newcomers/{newcomer}")) or {}
    assert (record.get("given_name"), record.get("family_name"), record.get("phone")) == ("", "", None)
    assert (await found(school, f"/learners/{newcomer}"))["given_name"] is None  # the case stays, nameless

    # No store keeps the name, and the per-person topic's latest record for them is a tombstone.
    for service in ("settlement", "education", "employment", "volunteering"):
        assert traces.in_store(_store(tmp_path, service), TRACES) == [], service
    details = await read_topic(platform.bootstrap_servers, platform.topic("settlement.personal-details"))
    theirs = [record for record in details if record.key == newcomer.encode()]
    assert theirs, "the personal details had been published"
    assert theirs[-1].value is None, "compaction keeps only the tombstone"
    # And the broker's own log cleaner: once it has compacted the per-person topics, no record of theirs
    # is left to read but the tombstone (or nothing, once that has gone too).
    for base in sorted(COMPACTED_TOPICS):
        topic = platform.topic(base)
        before = [
            r for r in await read_topic(platform.bootstrap_servers, topic) if r.key == newcomer.encode()
        ]
        assert traces.in_records(before, TRACES), f"{base} held the person's details before compaction"
        roll = str(uuid4())
        headers = {**headers_of(before[-1]), "ce_id": str(uuid4()), "ce_subject": roll}
        await compact_soon(platform.bootstrap_servers, topic, before[-1].partition, (roll.encode(), headers))

        async def compacted(topic: str = topic) -> Any:
            records = await read_topic(platform.bootstrap_servers, topic)
            return {"left": records} if not traces.in_records(records, TRACES) else None  # [] once all gone

        left = (await eventually(compacted, timeout_s=90))["left"]
        assert [r.value for r in left if r.key == newcomer.encode()] in ([], [None]), base
    for topic in ("settlement.events", "education.events", "employment.events", "volunteering.events"):
        records = await read_topic(platform.bootstrap_servers, platform.topic(topic))
        assert traces.in_records(records, TRACES) == [], topic
