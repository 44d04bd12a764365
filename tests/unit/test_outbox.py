"""The outbox relay publishes each staged event once it commits, in order, and loses none."""

import asyncio
from uuid import uuid4

import pytest

from shared.contracts.events.employment import CaseOpened
from shared.runtime.db import Database
from shared.runtime.outbox import OutboxMessage, pending_count, stage, write_staged
from shared.runtime.relay import OutboxRelay
from tests.factories import case_opened


def opened(newcomer_id=None) -> CaseOpened:  # type: ignore[no-untyped-def]
    return case_opened(newcomer_id=newcomer_id or uuid4())


@pytest.fixture
async def database(database_url: str):  # type: ignore[no-untyped-def]
    db = Database.from_url(database_url, [OutboxMessage.__table__])  # type: ignore[attr-defined]
    await db.create_schema()
    yield db
    await db.dispose()


class FakeKafka:
    def __init__(self, fail_after: int | None = None) -> None:
        self.sent: list[OutboxMessage] = []
        self.fail_after = fail_after

    async def send(self, row: OutboxMessage) -> asyncio.Future[object]:
        if self.fail_after is not None and len(self.sent) >= self.fail_after:
            raise ConnectionError("broker unavailable")
        self.sent.append(row)
        acknowledged: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        acknowledged.set_result(None)
        return acknowledged


async def test_staged_events_are_published_in_commit_order_and_then_leave_the_outbox(
    database: Database,
) -> None:
    events = [opened() for _ in range(5)]
    for event in events:
        async with database.transaction() as session:
            stage(session, event, source="/samvirke/education")
    kafka = FakeKafka()
    relay = OutboxRelay(database, kafka.send, batch_size=2)

    assert await relay.publish_pending() == 2
    while await relay.publish_pending():
        pass

    assert [row.key for row in kafka.sent] == [str(e.newcomer_id) for e in events]
    async with database.session() as session:
        assert await pending_count(session) == 0


async def test_events_of_a_rolled_back_transaction_are_never_published(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            stage(session, opened(), source="/samvirke/education")
            raise RuntimeError("the handler failed after staging")
    kafka = FakeKafka()
    assert await OutboxRelay(database, kafka.send).publish_pending() == 0
    assert kafka.sent == []


class Discarded(Exception):
    pass


async def published_keys(database: Database) -> list[str]:
    kafka = FakeKafka()
    while await OutboxRelay(database, kafka.send).publish_pending():
        pass
    return [row.key for row in kafka.sent]


async def test_a_rolled_back_savepoint_takes_back_only_what_was_staged_in_it(database: Database) -> None:
    a, b, c, d, e = (opened() for _ in range(5))
    async with database.transaction() as session:
        stage(session, a, source="/samvirke/education")
        with pytest.raises(Discarded):
            async with session.begin_nested():
                stage(session, b, source="/samvirke/education")
                async with session.begin_nested():  # commits inside the outer savepoint: writes a and b
                    stage(session, c, source="/samvirke/education")
                raise Discarded
        async with session.begin_nested():
            stage(session, d, source="/samvirke/education")
        stage(session, e, source="/samvirke/education")

    assert await published_keys(database) == [str(x.newcomer_id) for x in (a, d, e)]


async def test_staged_rows_are_written_once_in_staging_order_around_savepoints(database: Database) -> None:
    events = [opened() for _ in range(4)]
    async with database.transaction() as session:
        stage(session, events[0], source="/samvirke/education")
        async with session.begin_nested():
            stage(session, events[1], source="/samvirke/education")
        await write_staged(session)
        await write_staged(session)  # nothing left to write
        stage(session, events[2], source="/samvirke/education")
        assert await pending_count(session) == 2  # written: before commit, visible to queries
        stage(session, events[3], source="/samvirke/education")

    assert await published_keys(database) == [str(x.newcomer_id) for x in events]


async def test_a_broker_outage_delays_events_but_loses_none(database: Database) -> None:
    events = [opened() for _ in range(4)]
    async with database.transaction() as session:
        for event in events:
            stage(session, event, source="/samvirke/education")
    broken = FakeKafka(fail_after=2)
    with pytest.raises(ConnectionError):
        await OutboxRelay(database, broken.send).publish_pending()
    async with database.session() as session:
        assert await pending_count(session) == 4, "nothing leaves the outbox without an acknowledgement"

    healthy = FakeKafka()
    assert await OutboxRelay(database, healthy.send).publish_pending() == 4
    assert [row.key for row in healthy.sent] == [str(e.newcomer_id) for e in events]


async def test_relay_publishes_promptly_when_notified_after_commit(database: Database) -> None:
    kafka = FakeKafka()
    relay = OutboxRelay(database, kafka.send, poll_interval_s=60)
    database.outbox.after_commit(relay.notify)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.1)
        async with database.transaction() as session:
            stage(session, opened(), source="/samvirke/education")
        for _ in range(50):
            if kafka.sent:
                break
            await asyncio.sleep(0.05)
        assert len(kafka.sent) == 1, "published long before the 60 s poll"
    finally:
        task.cancel()


async def test_outbox_row_keeps_the_trace_of_the_work_that_staged_it(database: Database) -> None:
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        async with database.transaction() as session:
            envelope = stage(session, opened(), source="/samvirke/education")
    assert envelope.traceparent is not None
    assert f"{span.get_span_context().trace_id:032x}" in envelope.traceparent


@pytest.mark.postgres
async def test_two_relays_on_postgresql_publish_each_event_once_and_in_order(postgres) -> None:  # type: ignore[no-untyped-def]
    database = Database.from_url(postgres.create_database("two_relays"), [OutboxMessage.__table__])  # type: ignore[attr-defined]
    await database.create_schema()
    newcomer = uuid4()
    async with database.transaction() as session:
        staged = [stage(session, opened(newcomer), source="/samvirke/employment") for _ in range(40)]
    published: list[str] = []

    async def slow_send(row: OutboxMessage) -> asyncio.Future[object]:
        await asyncio.sleep(0.005)  # a broker round trip, so the relays overlap
        published.append(row.event_id)
        acknowledged: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        acknowledged.set_result(None)
        return acknowledged

    relays = [OutboxRelay(database, slow_send, batch_size=7) for _ in range(2)]

    async def drain(relay: OutboxRelay) -> None:
        # Until the outbox is empty: a relay that finds the other publishing skips that cycle.
        while True:
            async with database.session() as session:
                if await pending_count(session) == 0:
                    return
            await relay.publish_pending()
            await asyncio.sleep(0.001)

    await asyncio.gather(*(drain(relay) for relay in relays))
    await database.dispose()
    assert published == [envelope.id for envelope in staged], "each event once, in the order staged"


async def test_an_idle_relay_sleeps_instead_of_waking_itself(database: Database) -> None:
    kafka = FakeKafka()
    relay = OutboxRelay(database, kafka.send, poll_interval_s=60)
    database.outbox.after_commit(relay.notify)
    cycles = 0
    publish = relay.publish_pending

    async def counted() -> int:
        nonlocal cycles
        cycles += 1
        return await publish()

    relay.publish_pending = counted  # type: ignore[method-assign]
    task = asyncio.create_task(relay.run())
    await asyncio.sleep(0.5)
    task.cancel()
    assert cycles == 1, f"an idle relay ran {cycles} cycles in half a second"


async def test_a_commit_that_staged_nothing_does_not_wake_the_relay(database: Database) -> None:
    woken: list[bool] = []
    relay = OutboxRelay(database, FakeKafka().send)
    relay.notify = lambda: woken.append(True)  # type: ignore[method-assign]
    database.outbox.after_commit(relay.notify)
    async with database.transaction():
        pass  # a read-only request, or an event this service does nothing with
    assert woken == []
    async with database.transaction() as session:
        stage(session, opened(), source="/samvirke/employment")
    assert woken == [True]


async def test_a_stopped_relay_finishes_the_batch_in_hand_and_returns(database: Database) -> None:
    for _ in range(5):
        async with database.transaction() as session:
            stage(session, opened(), source="/samvirke/education")
    sending = asyncio.Event()

    async def slow_kafka(row: OutboxMessage) -> asyncio.Future[object]:
        sending.set()
        acknowledged: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.2, acknowledged.set_result, None)
        return acknowledged

    relay = OutboxRelay(database, slow_kafka, batch_size=2)
    task = asyncio.create_task(relay.run())
    await sending.wait()
    relay.stop()  # while the first batch waits for Kafka's acknowledgement
    await asyncio.wait_for(task, timeout=5)  # returns by itself: nothing cancelled mid-transaction
    async with database.session() as session:
        left = await pending_count(session)
    assert left == 3, "the batch in hand was published and deleted, and no other batch started"
