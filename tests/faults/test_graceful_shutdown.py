"""Fault injection: a service told to stop (SIGTERM) mid-load finishes the batch in hand and
commits exactly what it applied — never an event it did not finish."""

import asyncio
from uuid import uuid4

import pytest

from deploy.local.broker import KafkaEndpoint
from shared.contracts.events.settlement import NewcomerSettled
from tests.faults.conftest import Stores
from tests.faults.load import (
    CONSUMERS,
    assert_each_applied_once,
    assert_each_reaction_published_once,
    at_a_quarter,
    keys,
    publish_settlements,
    services_running,
)
from tests.kafka_tools import committed

pytestmark = [pytest.mark.kafka, pytest.mark.faults]

LOAD = 2000


def test_a_service_stopped_mid_load_commits_exactly_what_it_applied(
    kafka: KafkaEndpoint, stores: Stores
) -> None:
    prefix = f"g{uuid4().hex[:8]}."
    with services_running(kafka, stores, prefix) as stack:
        events = publish_settlements(kafka.bootstrap_servers, prefix, LOAD)
        topic = f"{prefix}settlement.events"
        at_a_quarter(stack, LOAD, lambda service: service.process.terminate())
        for name in CONSUMERS:
            service = stack[name]
            service.process.wait(timeout=60)
            log = service.log_path.read_text()
            assert log.rstrip().endswith(f"Finished server process [{service.process.pid}]"), log[-3000:]
            assert "Traceback" not in log, f"{name} did not stop cleanly"

            applied_events = stores.count(
                name, f"SELECT count(*) FROM inbox WHERE type = '{NewcomerSettled.type}'"
            )
            group = asyncio.run(committed(kafka.bootstrap_servers, f"{prefix}{name}"))
            offsets = {tp: offset for tp, offset in group.items() if tp[0] == topic and offset >= 0}
            assert applied_events < LOAD, f"{name} was stopped mid-load"
            assert sum(offsets.values()) == applied_events, (
                f"{name}: committed {offsets} after applying {applied_events}"
            )
            service.restart()

        assert_each_applied_once(stack.values(), LOAD)
        for name in CONSUMERS:
            assert_each_reaction_published_once(
                kafka.bootstrap_servers, f"{prefix}{name}.events", keys(events)
            )
