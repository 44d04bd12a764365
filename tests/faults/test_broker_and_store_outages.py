"""Fault injection: the broker restarts, or a store goes away for a while, in the middle of a load.

Consumers wait and retry (never skipping, never dead-lettering for an
outage), relays keep their rows until Kafka has them, and every store ends
with exactly one effect per event.
"""

import asyncio
import time
from uuid import uuid4

import pytest

from deploy.local.broker import KafkaEndpoint, LocalKafka
from tests.faults.conftest import Stores
from tests.faults.load import (
    CONSUMERS,
    applied,
    assert_each_applied_once,
    assert_each_reaction_published_once,
    keys,
    publish_settlements,
    services_running,
    wait_until,
)
from tests.kafka_tools import read_topic

pytestmark = [pytest.mark.kafka, pytest.mark.faults]

LOAD = 2000


def test_a_broker_restart_mid_load_loses_nothing_and_doubles_nothing(
    restartable_kafka: tuple[KafkaEndpoint, LocalKafka], stores: Stores
) -> None:
    endpoint, broker = restartable_kafka
    prefix = f"b{uuid4().hex[:8]}."
    with services_running(endpoint, stores, prefix) as stack:
        events = publish_settlements(endpoint.bootstrap_servers, prefix, LOAD)
        wait_until("the load is under way", lambda: applied(stack["education"]) >= LOAD // 5, every_s=0.02)
        broker.halt()  # consumers, offset commits and relays all lose the broker
        down_at = {name: applied(service) for name, service in stack.items()}
        time.sleep(5)
        broker.start()

        assert min(down_at.values()) < LOAD, f"the broker went down mid-load: {down_at}"
        assert_each_applied_once(stack.values(), LOAD)
        for name in CONSUMERS:
            assert_each_reaction_published_once(
                endpoint.bootstrap_servers, f"{prefix}{name}.events", keys(events)
            )
            dead = asyncio.run(read_topic(endpoint.bootstrap_servers, f"{prefix}{name}.dlq"))
            assert dead == [], f"{name} dead-lettered events because of the outage"


def test_a_store_unavailable_for_a_while_delays_events_and_loses_none(
    kafka: KafkaEndpoint, stores: Stores
) -> None:
    prefix = f"o{uuid4().hex[:8]}."
    fail_fast = {"SAMVIRKE_SQLITE_BUSY_TIMEOUT_S": "0.5"}  # rather than wait out the lock
    with services_running(kafka, stores, prefix, extra_env=fail_fast) as stack:
        events = publish_settlements(kafka.bootstrap_servers, prefix, LOAD)
        victim = stack["education"]
        wait_until("the load is under way", lambda: applied(victim) >= LOAD // 5, every_s=0.02)
        with stores.unavailable("education"):
            before = (
                stores.count("education", "SELECT count(*) FROM inbox") if stores.kind == "sqlite" else None
            )
            time.sleep(8)
            if before is not None:  # SQLite still reads while locked: nothing was written meanwhile
                assert stores.count("education", "SELECT count(*) FROM inbox") == before
        assert "store unavailable" in victim.log_path.read_text(), "the outage was felt and retried"

        assert_each_applied_once(stack.values(), LOAD)
        for name in CONSUMERS:
            assert_each_reaction_published_once(
                kafka.bootstrap_servers, f"{prefix}{name}.events", keys(events)
            )
            dead = asyncio.run(read_topic(kafka.bootstrap_servers, f"{prefix}{name}.dlq"))
            assert dead == [], f"{name} dead-lettered events because of the outage"
