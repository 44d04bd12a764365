"""Fault injection: a service killed with SIGKILL mid-load loses nothing and applies nothing twice."""

import asyncio
import time
from datetime import date
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from shared.devtools.kafka import KafkaEndpoint
from shared.devtools.stack import run_stack, tokens
from shared.events.settlement import AgeGroup, NewcomerSettled
from tests.conftest import AUTH_SECRET
from tests.kafka_tools import headers_of, produce, read_topic, record_of

pytestmark = [pytest.mark.kafka, pytest.mark.faults]

LOAD = 1500
RECORDS = {"education": "/learners", "employment": "/cases", "volunteering": "/match-requests"}


@pytest.mark.parametrize("victim", sorted(RECORDS))
def test_a_service_killed_mid_load_ends_with_exactly_one_effect_per_event(
    victim: str, kafka: KafkaEndpoint, tmp_path: Path
) -> None:
    prefix = f"k{uuid4().hex[:8]}."
    with run_stack(
        bootstrap_servers=kafka.bootstrap_servers,
        data_dir=tmp_path,
        auth_secret=AUTH_SECRET,
        topic_prefix=prefix,
        services=(victim,),  # the load comes straight from Kafka; the others would only compete for CPU
    ) as stack:
        service = stack[victim]
        api = httpx.Client(
            base_url=service.url,
            timeout=10,
            headers={"Authorization": f"Bearer {tokens(AUTH_SECRET)[victim]}"},
        )
        events = [
            NewcomerSettled(
                newcomer_id=uuid4(),
                municipality_code="0301",
                district="Alna",
                settled_on=date(2026, 3, 1),
                age_group=AgeGroup.ADULT,
                volunteer_contact_consent=True,
            )
            for _ in range(LOAD)
        ]
        asyncio.run(
            produce(kafka.bootstrap_servers, f"{prefix}settlement.events", [record_of(e) for e in events])
        )

        def applied() -> int:
            return int(api.get(RECORDS[victim], params={"limit": 1}).json()["total"])

        deadline = time.monotonic() + 60
        while (count := applied()) < LOAD // 4:
            assert time.monotonic() < deadline, f"{victim} applied only {count} events"
            time.sleep(0.02)
        service.kill()  # mid-load: some transactions committed, offsets and outbox rows in flight
        killed_at = count
        service.restart()

        deadline = time.monotonic() + 120
        while (count := applied()) < LOAD:
            assert time.monotonic() < deadline, f"{victim} applied {count} of {LOAD} after the restart"
            time.sleep(0.2)
        time.sleep(2)  # anything applied twice would show by now
        assert applied() == LOAD, "nothing lost, nothing applied twice"
        assert killed_at < LOAD, "the kill came mid-load"

        async def reactions() -> list:
            return await read_topic(kafka.bootstrap_servers, f"{prefix}{victim}.events")

        deadline = time.monotonic() + 30
        while True:
            published = asyncio.run(reactions())
            if len({headers_of(r)["ce_id"] for r in published}) >= LOAD:
                break
            assert time.monotonic() < deadline, "a reaction was lost"
            time.sleep(0.5)
        ids = {headers_of(r)["ce_id"] for r in published}
        keys = {r.key for r in published}
        # A relay killed between Kafka's acknowledgement and deleting the row publishes the same
        # event (same ce_id) again, which consumers' inboxes absorb; a new ce_id would be a double.
        assert (len(ids), len(keys)) == (LOAD, LOAD)
        assert keys == {str(e.newcomer_id).encode() for e in events}
