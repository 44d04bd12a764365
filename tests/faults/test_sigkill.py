"""Fault injection: a service killed with SIGKILL mid-load loses nothing and applies nothing twice."""

import random
import threading
import time
from collections.abc import Callable
from uuid import uuid4

import httpx
import pytest

from deploy.local.broker import KafkaEndpoint
from tests import scenario
from tests.faults.conftest import Stores
from tests.faults.load import (
    CONSUMERS,
    assert_each_applied_once,
    assert_each_reaction_published_once,
    at_a_quarter,
    client,
    keys,
    publish_settlements,
    services_running,
)

pytestmark = [pytest.mark.kafka, pytest.mark.faults]

LOAD = 2000


def test_each_consumer_killed_mid_load_ends_with_exactly_one_effect_per_event(
    kafka: KafkaEndpoint, stores: Stores
) -> None:
    prefix = f"k{uuid4().hex[:8]}."
    with services_running(kafka, stores, prefix) as stack:
        events = publish_settlements(kafka.bootstrap_servers, prefix, LOAD)
        # Mid-load: transactions committed, offsets and outbox rows in flight.
        at_a_quarter(stack, LOAD, lambda service: service.kill())
        for name in CONSUMERS:
            applied_when_killed = stores.count(name, "SELECT count(*) FROM inbox")
            assert applied_when_killed < LOAD, f"{name} was killed after the load, not in the middle of it"
            stack[name].restart()

        assert_each_applied_once(stack.values(), LOAD)
        for name in CONSUMERS:
            assert_each_reaction_published_once(
                kafka.bootstrap_servers, f"{prefix}{name}.events", keys(events)
            )


def test_settlement_killed_while_settling_publishes_each_settlement_once(
    kafka: KafkaEndpoint, stores: Stores
) -> None:
    """Requests that fail with the kill are retried as a client would; nothing is published twice."""
    prefix = f"s{uuid4().hex[:8]}."
    newcomers = 400
    services = ("settlement", "education")
    with services_running(kafka, stores, prefix, services) as stack:
        settlement = stack["settlement"]
        with client(settlement) as api:
            api.post("/municipalities", json=scenario.OSLO).raise_for_status()
            api.put("/municipalities/0301/quotas/2026", json={"requested": newcomers}).raise_for_status()

        def kill_mid_request() -> None:
            time.sleep(random.uniform(0, 0.05))  # land inside a request, not between two
            settlement.kill()

        def restart_when_down() -> None:
            # From this thread: a child dies with the thread that started it.
            if settlement.process.poll() is not None:
                settlement.restart()

        settled: set[str] = set()
        killer = threading.Thread(target=kill_mid_request)
        with client(settlement) as api:
            for n in range(newcomers):
                if n == newcomers // 4:
                    killer.start()
                settled.add(_settle_retrying(api, n, restart_when_down))
        killer.join()
        assert settlement.process.returncode is None, "the restarted service served the rest"

        with client(settlement) as api:
            listed = api.get("/newcomers", params={"status": "settled", "limit": 1}).json()["total"]
        assert listed == len(settled) == newcomers
        assert_each_reaction_published_once(
            kafka.bootstrap_servers, f"{prefix}settlement.events", {id.encode() for id in settled}
        )
        assert_each_applied_once([stack["education"]], newcomers)


def _settle_retrying(api: httpx.Client, n: int, restart_when_down: Callable[[], None]) -> str:
    """Registers and settles newcomer `n`, retrying through the outage; returns the newcomer's id."""
    person = scenario.person("Amira", f"Haddad {_letters(n)}", birth_date="1990-04-02")
    newcomer_id = None
    while True:
        try:
            if newcomer_id is None:
                response = api.post("/newcomers", json=person)
                if response.status_code == 409:  # the first attempt committed before the kill
                    newcomer_id = response.json()["existing_id"]
                else:
                    newcomer_id = response.raise_for_status().json()["id"]
            response = api.post(f"/newcomers/{newcomer_id}/settlement", json=scenario.settlement("Alna"))
            if response.status_code == 409:
                status = api.get(f"/newcomers/{newcomer_id}").raise_for_status().json()["status"]
                assert status == "settled", response.text
            else:
                response.raise_for_status()
            return str(newcomer_id)
        except httpx.TransportError:  # the service is down: try again, as a client would
            restart_when_down()
            time.sleep(0.2)


def _letters(n: int) -> str:
    # Names are letters only; the number spelt in letters keeps each person distinct.
    return "".join("abcdefghij"[int(digit)] for digit in str(n))
