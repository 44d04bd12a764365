"""The inbox consumer applies each event once and never silently drops one."""

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import ConsumerRecord, TopicPartition
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import NoOpTracer, Tracer
from sqlalchemy.exc import OperationalError
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.envelope import Envelope
from shared.contracts.events import CATALOGUE
from shared.contracts.events.settlement import NewcomerSettled
from shared.runtime.db import Database
from shared.runtime.inbox import EventConsumer, InboxEntry
from shared.runtime.outbox import OutboxMessage, stage
from shared.runtime.routing import NotForUs, Only
from tests.factories import case_opened, settled

NOW = datetime.now(UTC)


@pytest.fixture
async def database(database_url: str):  # type: ignore[no-untyped-def]
    db = Database.from_url(database_url, [InboxEntry.__table__])  # type: ignore[attr-defined]
    await db.create_schema()
    yield db
    await db.dispose()


def record(
    envelope: Envelope, value: bytes | None = None, offset: int = 0, partition: int = 0
) -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(
        topic=CATALOGUE[envelope.type].topic,  # where its publisher writes it
        partition=partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=envelope.key,
        value=envelope.data if value is None else value,
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=[(k, v.encode()) for k, v in envelope.headers().items()],
    )


class Recorder:
    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.applied: list[Any] = []
        self.failures = failures or []
        self.dead: list[tuple[int, str]] = []

    async def handle(self, session: AsyncSession, event: Any) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.applied.append(event)

    async def dead_letter(self, rec: ConsumerRecord[Any, Any], reason: str) -> None:
        self.dead.append((rec.offset, reason))


def consumer(
    database: Database, recorder: Recorder, handle: Any = None, tracer: Tracer | None = None, **kwargs: Any
) -> EventConsumer:
    return EventConsumer(
        name="test",
        database=database,
        handlers={NewcomerSettled: handle or recorder.handle},
        dead_letters=recorder.dead_letter,
        max_backoff_s=0.01,
        tracer=tracer or TracerProvider().get_tracer("t"),
        **kwargs,
    )


async def inbox_size(database: Database) -> int:
    async with database.session() as session:
        return (await session.exec(select(func.count()).select_from(InboxEntry))).one()


async def test_an_event_delivered_three_times_is_applied_once(database: Database) -> None:
    recorder = Recorder()
    envelope = Envelope.wrap(settled(), source="/samvirke/settlement")
    for offset in range(3):
        await consumer(database, recorder).consume(record(envelope, offset=offset))
    assert len(recorder.applied) == 1
    assert await inbox_size(database) == 1


async def test_unparseable_event_is_dead_lettered_with_its_reason(database: Database) -> None:
    recorder = Recorder()
    envelope = Envelope.wrap(settled(), source="/samvirke/settlement")
    await consumer(database, recorder).consume(record(envelope, value=b"not json", offset=7))
    assert recorder.applied == []
    assert recorder.dead == [(7, recorder.dead[0][1])]
    assert "not JSON" in recorder.dead[0][1]
    assert await inbox_size(database) == 0


async def test_an_event_that_claims_another_agencys_source_is_dead_lettered(database: Database) -> None:
    # Whoever can write onto settlement's topic, only settlement's own source is believed.
    recorder = Recorder()
    forged = Envelope.wrap(settled(), source="/samvirke/volunteering")
    await consumer(database, recorder).consume(record(forged, offset=3))
    assert recorder.applied == []
    assert recorder.dead == [
        (
            3,
            "ce_source '/samvirke/volunteering' is not '/samvirke/settlement', "
            "the owner of settlement.events",
        )
    ]
    assert await inbox_size(database) == 0


async def test_an_event_on_a_topic_that_is_not_its_publishers_is_dead_lettered(database: Database) -> None:
    recorder = Recorder()
    envelope = Envelope.wrap(settled(), source="/samvirke/settlement")
    misplaced = record(envelope, offset=5)
    misplaced = dataclasses.replace(misplaced, topic="t1-education.events")
    await consumer(database, recorder).consume(misplaced)
    assert recorder.applied == []
    assert recorder.dead == [(5, f"{NewcomerSettled.type} does not belong on topic 't1-education.events'")]


async def test_a_forged_tombstone_erases_nothing(database: Database) -> None:
    recorder = Recorder()
    forgotten: list[Any] = []

    async def forget(session: AsyncSession, newcomer_id: Any) -> None:
        forgotten.append(newcomer_id)

    envelope = Envelope.wrap(settled(), source="/samvirke/employment")
    tombstone = dataclasses.replace(record(envelope, offset=9), value=None)
    await consumer(database, recorder, forget={NewcomerSettled: forget}).consume(tombstone)
    assert forgotten == []
    assert [offset for offset, _ in recorder.dead] == [9]
    assert "ce_source '/samvirke/employment'" in recorder.dead[0][1]


async def test_catalogued_events_this_service_does_not_handle_are_skipped(database: Database) -> None:
    recorder = Recorder()
    other = case_opened()
    await consumer(database, recorder).consume(record(Envelope.wrap(other, source="/samvirke/employment")))
    assert recorder.applied == []
    assert recorder.dead == []


async def test_a_store_outage_is_retried_until_the_event_is_applied(database: Database) -> None:
    outage = OperationalError("INSERT", {}, Exception("connection refused"))
    recorder = Recorder(failures=[outage, outage, outage])
    await consumer(database, recorder).consume(
        record(Envelope.wrap(settled(), source="/samvirke/settlement"))
    )
    assert len(recorder.applied) == 1
    assert recorder.dead == []


async def test_a_store_outage_rewinds_the_partition_to_its_first_unapplied_event(database: Database) -> None:
    outage = OperationalError("INSERT", {}, Exception("connection refused"))
    recorder = Recorder(failures=[outage] * 10)
    batch = [
        record(Envelope.wrap(settled(), source="/samvirke/settlement"), offset=offset) for offset in (4, 5, 6)
    ]
    retry = await consumer(database, recorder).consume_batch(batch)
    assert retry == {TopicPartition("settlement.events", 0): 4}
    assert recorder.dead == [], "an outage never sends an event to the dead-letter topic"
    assert await inbox_size(database) == 0, "the failed attempt left no inbox row behind"


async def test_an_outage_on_one_partition_does_not_hold_back_the_others(database: Database) -> None:
    stuck = settled()
    recorder = Recorder()

    async def handle(session: AsyncSession, event: Any) -> None:
        if event.newcomer_id == stuck.newcomer_id:  # e.g. a row locked by someone else
            raise OperationalError("UPDATE", {}, Exception("lock timeout"))
        recorder.applied.append(event)

    flowing = [
        record(Envelope.wrap(settled(), source="/samvirke/settlement"), offset=o, partition=0) for o in (0, 1)
    ]
    blocked = [record(Envelope.wrap(stuck, source="/samvirke/settlement"), offset=7, partition=1)]
    retry = await consumer(database, recorder, handle=handle).consume_batch([*flowing, *blocked])
    assert retry == {TopicPartition("settlement.events", 1): 7}
    assert await inbox_size(database) == 2, "partition 0's events are applied"


async def test_dead_letters_behind_a_retried_event_wait_for_the_retry(database: Database) -> None:
    outage = OperationalError("INSERT", {}, Exception("connection refused"))
    recorder = Recorder(failures=[outage] * 10)
    envelope = Envelope.wrap(settled(), source="/samvirke/settlement")
    batch = [
        record(envelope, value=b"bad", offset=3),
        record(envelope, offset=4),
        record(envelope, value=b"bad", offset=5),
    ]
    retry = await consumer(database, recorder).consume_batch(batch)
    assert retry == {TopicPartition("settlement.events", 0): 4}
    assert [offset for offset, _ in recorder.dead] == [3], "offset 5 comes again after the retry"


async def test_a_handler_that_keeps_failing_dead_letters_only_that_event(database: Database) -> None:
    broken = settled()
    recorder = Recorder()

    async def handle(session: AsyncSession, event: Any) -> None:
        if event.newcomer_id == broken.newcomer_id:
            raise ValueError("rule broken")

    batch = [
        record(Envelope.wrap(event, source="/samvirke/settlement"), offset=offset)
        for offset, event in [(3, broken), (4, settled())]
    ]
    assert await consumer(database, recorder, handle=handle).consume_batch(batch) == {}
    assert [offset for offset, _ in recorder.dead] == [3]
    assert "rule broken" in recorder.dead[0][1]
    assert await inbox_size(database) == 1, "the other event is applied; the dead-lettered one is not marked"


async def test_an_event_not_for_us_leaves_no_trace_while_its_batch_is_applied(database: Database) -> None:
    private = settled()
    recorder = Recorder()

    async def handle(session: AsyncSession, event: Any) -> None:
        session.add(InboxEntry(source="/effect", event_id=str(event.newcomer_id), type="t", applied_at=NOW))
        await session.flush()
        if event.newcomer_id == private.newcomer_id:
            raise NotForUs
        recorder.applied.append(event)

    batch = [
        record(Envelope.wrap(event, source="/samvirke/settlement"), offset=offset)
        for offset, event in enumerate([settled(), private, settled()])
    ]
    assert await consumer(database, recorder, handle=handle).consume_batch(batch) == {}
    async with database.session() as session:
        kept = (await session.exec(select(InboxEntry.event_id))).all()
    assert len(kept) == 4, "two events, each with its inbox row and its effect"
    assert str(private.newcomer_id) not in kept


async def test_events_a_handler_declines_by_their_content_leave_no_trace(database: Database) -> None:
    recorder = Recorder()
    events = [settled().model_copy(update={"volunteer_contact_consent": n != 1}) for n in range(3)]
    batch = [
        record(Envelope.wrap(e, source="/samvirke/settlement"), offset=offset)
        for offset, e in enumerate(events)
    ]
    only_consenting = Only(lambda event: event.volunteer_contact_consent, recorder.handle)

    assert await consumer(database, recorder, handle=only_consenting).consume_batch(batch) == {}
    assert recorder.applied == [events[0], events[2]]
    assert await inbox_size(database) == 2, "the declined event's id is not kept"
    assert recorder.dead == []


async def test_an_event_twice_in_one_batch_is_applied_once(database: Database) -> None:
    recorder = Recorder()
    envelope = Envelope.wrap(settled(), source="/samvirke/settlement")
    batch = [record(envelope, offset=0), record(envelope, offset=1), record(envelope, offset=2)]
    assert await consumer(database, recorder).consume_batch(batch) == {}
    assert len(recorder.applied) == 1
    assert await inbox_size(database) == 1


@pytest.mark.parametrize("recording", [True, False], ids=["spans recorded", "no exporter"])
async def test_a_reaction_carries_the_trace_of_the_event_it_answers(
    database_url: str, recording: bool
) -> None:
    database = Database.from_url(database_url, [InboxEntry.__table__, OutboxMessage.__table__])  # type: ignore[attr-defined]
    await database.create_schema()
    trace_id, parent_span = "a" * 32, "b" * 16
    event = settled()
    envelope = Envelope.wrap(
        event, source="/samvirke/settlement", traceparent=f"00-{trace_id}-{parent_span}-01"
    )

    async def react(session: AsyncSession, settled: NewcomerSettled) -> None:
        case = case_opened(newcomer_id=settled.newcomer_id)
        stage(session, case, source="/samvirke/employment")

    tracer = TracerProvider().get_tracer("t") if recording else NoOpTracer()
    try:
        await consumer(database, Recorder(), handle=react, tracer=tracer).consume(record(envelope))
        async with database.session() as session:
            [reaction] = (await session.exec(select(OutboxMessage))).all()
    finally:
        await database.dispose()
    assert reaction.traceparent is not None
    _, reaction_trace, reaction_span, _ = reaction.traceparent.split("-")
    assert reaction_trace == trace_id
    # A recorded apply span is the reaction's parent; without one, the event's own parent is.
    assert (reaction_span != parent_span) is recording
