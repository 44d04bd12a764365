"""What the fault tests share: a load of settlements and checks of exactly one effect per event."""

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import httpx

from deploy.local.broker import KafkaEndpoint
from deploy.local.stack import RunningService, run_stack
from shared.contracts.events.settlement import NewcomerSettled
from tests import scenario
from tests.factories import settled
from tests.faults.conftest import Stores
from tests.kafka_tools import headers_of, produce, read_topic, record_of

# Each consuming service, and where its API lists the records settlement events create.
RECORDS = {"education": "/learners", "employment": "/cases", "volunteering": "/match-requests"}
CONSUMERS = tuple(RECORDS)


def settlements(count: int) -> list[NewcomerSettled]:
    return [settled() for _ in range(count)]


@contextmanager
def services_running(
    kafka: KafkaEndpoint,
    stores: Stores,
    prefix: str,
    services: tuple[str, ...] = CONSUMERS,
    extra_env: dict[str, str] | None = None,
) -> Iterator[dict[str, RunningService]]:
    """The services as processes on the test's stores, their topics under `prefix`."""
    with run_stack(
        kafka=kafka,
        data_dir=stores.data_dir,
        identity=stores.identity,
        topic_prefix=prefix,
        services=services,
        database_urls=stores.urls(services),
        extra_env=extra_env,
    ) as stack:
        # One authenticated request each before any load: the test's tokens come from the
        # provider and each service fetches the provider's keys, neither while a load is timed.
        for service in stack.values():
            if service.name in RECORDS:
                applied(service)
            if service.name == "volunteering":
                works_in_oslo(service)
        yield stack


def publish_settlements(bootstrap_servers: str, prefix: str, count: int) -> list[NewcomerSettled]:
    """Writes `count` settlements to settlement's topic, as settlement would."""
    events = settlements(count)
    asyncio.run(produce(bootstrap_servers, f"{prefix}settlement.events", [record_of(e) for e in events]))
    return events


def client(service: RunningService) -> httpx.Client:
    token = service.token()
    return httpx.Client(base_url=service.url, timeout=30, headers={"Authorization": f"Bearer {token}"})


def works_in_oslo(volunteering: RunningService) -> None:
    """The Red Cross has a chapter in Oslo, where the load settles: its staff see Oslo's requests."""
    with client(volunteering) as api:
        if not api.get("/organisations", params={"municipality_code": "0301"}).raise_for_status().json():
            api.post("/organisations", json=scenario.red_cross("0301")).raise_for_status()


def applied(service: RunningService) -> int:
    """How many settlement events the service has turned into records, by its own API."""
    with client(service) as api:
        return int(api.get(RECORDS[service.name], params={"limit": 1}).raise_for_status().json()["total"])


def wait_until(what: str, check: Callable[[], bool], timeout_s: float = 180, every_s: float = 0.2) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(every_s)


def at_a_quarter(stack: dict[str, RunningService], load: int, act: Callable[[RunningService], None]) -> None:
    """Acts on each consumer as soon as it has applied a quarter of `load`, watching all of them at
    once, so each is hit in the middle of its own load whatever the others' pace."""
    pending = list(CONSUMERS)
    deadline = time.monotonic() + 180
    while pending:
        for name in list(pending):
            if applied(stack[name]) >= load // 4:
                act(stack[name])
                pending.remove(name)
        assert time.monotonic() < deadline, f"{pending} never got a quarter through"
        time.sleep(0.02)


def assert_each_applied_once(services: Iterable[RunningService], expected: int) -> None:
    """Every service ends with exactly `expected` records, and stays there."""
    services = list(services)
    for service in services:
        wait_until(f"{service.name} applied {expected}", lambda s=service: applied(s) >= expected)
    time.sleep(2)  # an event applied twice would show by now
    assert {s.name: applied(s) for s in services} == {s.name: expected for s in services}


def assert_each_reaction_published_once(
    bootstrap_servers: str, topic: str, newcomers: set[bytes], timeout_s: float = 60
) -> None:
    """Every newcomer has reactions on `topic`, and no reaction was made twice.

    A relay killed between Kafka's acknowledgement and deleting the row sends
    the same event (same ce_id) again, which inboxes absorb; the same kind of
    reaction to the same newcomer under a second ce_id would be a double.
    """

    def ids_by_kind() -> dict[tuple[str, bytes], set[str]]:
        found: dict[tuple[str, bytes], set[str]] = defaultdict(set)
        for record in asyncio.run(read_topic(bootstrap_servers, topic)):
            headers = headers_of(record)
            found[(headers["ce_type"], record.key)].add(headers["ce_id"])
        return found

    wait_until(
        f"every newcomer has a reaction on {topic}",
        lambda: {key for _, key in ids_by_kind()} >= newcomers,
        timeout_s,
        every_s=1,
    )
    found = ids_by_kind()
    assert {key for _, key in found} == newcomers, f"{topic}: reactions about no one we sent"
    doubles = {kind: ids for kind, ids in found.items() if len(ids) > 1}
    assert not doubles, f"{topic}: reactions made twice: {list(doubles.items())[:3]}"


def keys(events: Iterable[NewcomerSettled]) -> set[bytes]:
    return {str(event.newcomer_id).encode() for event in events}
