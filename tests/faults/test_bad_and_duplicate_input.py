"""Fault injection: every event delivered twice, a thousand bad records among them.

Each consuming service must end with exactly one effect per valid event, and
its dead-letter topic must hold all and only the bad records.
"""

import asyncio
import json
import random
import time
from uuid import uuid4

import httpx
import pytest

from deploy.local.broker import KafkaEndpoint
from tests.faults.conftest import Stores
from tests.faults.load import RECORDS, services_running, settlements
from tests.kafka_tools import headers_of, produce, read_topic, record_of

pytestmark = [pytest.mark.kafka, pytest.mark.faults]

VALID, BAD = 400, 1000


def bad_records(count: int) -> list[tuple[bytes, bytes, dict[str, str]]]:
    template = record_of(settlements(1)[0])
    key, value, headers = template
    kinds = [
        lambda n: (key, b"{not json " + str(n).encode(), headers),
        lambda n: (key, value, {k: v for k, v in headers.items() if not k.startswith("ce_")}),
        lambda n: (key, value, {**headers, "ce_type": f"samvirke.settlement.newcomer.teleported.v{n}"}),
        lambda n: (
            key,
            json.dumps({"newcomer_id": str(uuid4()), "n": n}).encode(),
            {**headers, "ce_id": str(uuid4())},
        ),
        lambda n: (key, value, {**headers, "ce_specversion": "0.3", "ce_id": str(uuid4())}),
    ]
    return [kinds[n % len(kinds)](n) for n in range(count)]


def test_duplicates_change_nothing_and_exactly_the_bad_records_are_dead_lettered(
    kafka: KafkaEndpoint, stores: Stores
) -> None:
    prefix = f"d{uuid4().hex[:8]}."
    events = [settlements(1)[0] for _ in range(VALID)]
    valid = [record_of(e) for e in events]
    bad = bad_records(BAD)
    load = [*valid, *valid, *bad]  # every valid event twice, same ce_id: a redelivery
    random.Random(7).shuffle(load)
    with services_running(kafka, stores, prefix) as stack:
        placed = asyncio.run(produce(kafka.bootstrap_servers, f"{prefix}settlement.events", load))
        bad_ids = {id(record) for record in bad}
        bad_at = {
            position: record[1]
            for position, record in zip(placed, load, strict=True)
            if id(record) in bad_ids
        }
        for service, path in RECORDS.items():
            api = httpx.Client(
                base_url=stack[service].url,
                timeout=10,
                headers={"Authorization": f"Bearer {stack[service].token()}"},
            )
            deadline = time.monotonic() + 180
            while (applied := api.get(path, params={"limit": 1}).json()["total"]) < VALID:
                assert time.monotonic() < deadline, f"{service} applied {applied} of {VALID}"
                time.sleep(0.5)

            def dead_lettered(service: str = service) -> list:
                return asyncio.run(read_topic(kafka.bootstrap_servers, f"{prefix}{service}.dlq"))

            while len(letters := dead_lettered()) < BAD:
                assert time.monotonic() < deadline, f"{service} dead-lettered {len(letters)} of {BAD}"
                time.sleep(0.5)
            time.sleep(1)
            assert api.get(path, params={"limit": 1}).json()["total"] == VALID, (
                f"{service}: duplicates applied"
            )
            letters = {
                (int(headers_of(r)["dlq_origin_partition"]), int(headers_of(r)["dlq_origin_offset"])): r.value
                for r in dead_lettered()
            }
            assert letters == bad_at, f"{service}: the dead-letter topic holds all and only the bad records"
            assert len(dead_lettered()) == BAD, f"{service}: each bad record dead-lettered once"
