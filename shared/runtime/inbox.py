"""Idempotent consumption: each event's effects are applied once, whatever Kafka redelivers.

The inbox records `(source, event id)` in the same transaction as the state
change, and the Kafka offset is committed only after that transaction
commits. A redelivered event finds its inbox row and changes nothing.

Records arrive in batches (from several partitions at once) and a batch is
applied in one transaction: one commit per batch rather than per event.
Should an event have to be rolled back alone (`NotForUs`, a failing
handler), the batch is applied again with a savepoint per event; events a
service can tell are not for it from the event alone are dropped before
(`Only`).

A service may `prepare` each batch: load, in a few statements, what its
handlers will look up, so that applying an event usually queries nothing
and the batch's rows are written together when it commits.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from aiokafka import ConsumerRecord, TopicPartition
from opentelemetry.trace import Tracer
from sqlalchemy import exc as sa_exc
from sqlalchemy import insert
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.envelope import Envelope, InvalidEvent
from shared.contracts.events import Event
from shared.runtime.db import Database, matching_keys
from shared.runtime.routing import AnyHandler, Apply, Forget, NotForUs, Only, Prepare, WithEnvelope
from shared.runtime.telemetry import context_from_traceparent

log = logging.getLogger(__name__)


class InboxEntry(SQLModel, table=True):
    __tablename__ = "inbox"

    source: str = Field(primary_key=True, max_length=255)
    event_id: str = Field(primary_key=True, max_length=64)
    type: str = Field(max_length=255)
    applied_at: datetime


class DeadLetters(Protocol):
    async def __call__(self, record: ConsumerRecord[Any, Any], reason: str) -> None: ...


# The store is unreachable or busy: retry later, never skip. (An IntegrityError is a
# DBAPIError too, but it is the handler's conflict with the data, not an outage.)
_TRANSIENT = (sa_exc.DBAPIError, sa_exc.TimeoutError, OSError)


def _is_transient(error: BaseException) -> bool:
    return isinstance(error, _TRANSIENT) and not isinstance(error, sa_exc.IntegrityError)


@dataclass
class _Item:
    record: ConsumerRecord[Any, Any]
    envelope: Envelope
    apply: Apply
    span: str
    event: Event | None = None  # None for a tombstone

    @property
    def partition(self) -> TopicPartition:
        return TopicPartition(self.record.topic, self.record.partition)


class EventConsumer:
    """Applies other agencies' events to this service's store, each exactly once.

    - A record that is not a valid catalogued event goes to the dead-letter
      topic with the reason, and consumption goes on.
    - A catalogued event this service has no handler for, or one its handler's
      `Only` declines, is skipped.
    - A tombstone (null value) on a per-person topic erases what `forget`
      holds for that newcomer, once.
    - When the store is unavailable, `consume_batch` names the partitions to
      rewind and retry later (with backoff), never skipping an event; the
      other partitions of the batch go on if they can.
    - A handler that keeps failing on one event dead-letters that event
      rather than halting the partition behind it.
    """

    def __init__(
        self,
        *,
        name: str,
        database: Database,
        handlers: Mapping[type[Event], AnyHandler],
        forget: Mapping[type[Event], Forget] | None = None,
        prepare: Prepare | None = None,
        dead_letters: DeadLetters,
        tracer: Tracer,
        handler_attempts: int = 3,
        max_backoff_s: float = 5.0,
    ) -> None:
        self.name = name
        self._database = database
        self._handlers = {event.type: handler for event, handler in handlers.items()}
        self._forget = {event.type: forget for event, forget in (forget or {}).items()}
        self._prepare = prepare
        self._dead_letters = dead_letters
        self._tracer = tracer
        self._handler_attempts = handler_attempts
        self._max_backoff_s = max_backoff_s
        self._outages: dict[TopicPartition, int] = {}
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False

    @property
    def event_types(self) -> list[str]:
        return sorted(self._handlers)

    def backoff_s(self, partition: TopicPartition) -> float:
        """How long to wait before retrying `partition` after its latest outage."""
        return min(0.1 * 2.0 ** self._outages.get(partition, 0), self._max_backoff_s)

    async def consume(self, record: ConsumerRecord[Any, Any]) -> None:
        """One record, retried in place until the store takes it (for readers without a group)."""
        while retry := await self.consume_batch([record]):
            [partition] = retry
            await asyncio.sleep(self.backoff_s(partition))

    @contextlib.asynccontextmanager
    async def handling(self) -> AsyncIterator[bool]:
        """Wraps the handling of one batch, its offset commit included, so `stop` can wait for it.

        Yields False once `stop` was called: the batch must then be neither
        applied nor committed.
        """
        if self._stopping:
            yield False
            return
        self._in_flight += 1
        self._idle.clear()
        try:
            yield True
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Lets the batch in hand finish, and handles no other."""
        self._stopping = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout_s)

    async def consume_batch(self, records: Sequence[ConsumerRecord[Any, Any]]) -> dict[TopicPartition, int]:
        """Applies `records`; returns the partitions to retry, each with the offset to resume from.

        Every record of a partition not returned is done: applied, skipped or
        dead-lettered.
        """
        items: list[_Item] = []
        dead: list[tuple[ConsumerRecord[Any, Any], str]] = []
        for record in records:
            item_or_reason = self._read(record)
            if isinstance(item_or_reason, str):
                log.warning("dead-lettering %s@%s: %s", record.topic, record.offset, item_or_reason)
                dead.append((record, item_or_reason))
            elif item_or_reason is not None:
                items.append(item_or_reason)

        retry: dict[TopicPartition, int] = {}
        if items:
            try:
                dead += await self._apply_all(items)
            except Exception as error:
                if not _is_transient(error):
                    raise
                retry, applied_dead = await self._apply_partitions_apart(items, error)
                dead += applied_dead
        for partition in {item.partition for item in items} - retry.keys():
            self._outages.pop(partition, None)

        for record, reason in sorted(dead, key=lambda d: (d[0].topic, d[0].partition, d[0].offset)):
            resume = retry.get(TopicPartition(record.topic, record.partition))
            if resume is None or record.offset < resume:  # the others come again
                await self._dead_letters(record, reason)
        return retry

    async def _apply_partitions_apart(
        self, items: list[_Item], error: BaseException
    ) -> tuple[dict[TopicPartition, int], list[tuple[ConsumerRecord[Any, Any], str]]]:
        # One partition's trouble (a lock, a row) must not hold the others back.
        by_partition: dict[TopicPartition, list[_Item]] = {}
        for item in items:
            by_partition.setdefault(item.partition, []).append(item)
        retry: dict[TopicPartition, int] = {}
        dead: list[tuple[ConsumerRecord[Any, Any], str]] = []
        for partition, partition_items in by_partition.items():
            if len(by_partition) > 1:
                try:
                    dead += await self._apply_all(partition_items)
                    continue
                except Exception as partition_error:
                    if not _is_transient(partition_error):
                        raise
                    error = partition_error
            self._outages[partition] = self._outages.get(partition, 0) + 1
            retry[partition] = partition_items[0].record.offset
        log.warning(
            "store unavailable (%s); retrying %s",
            error,
            ", ".join(f"{tp.topic}[{tp.partition}]@{offset}" for tp, offset in sorted(retry.items())),
        )
        return retry, dead

    def _read(self, record: ConsumerRecord[Any, Any]) -> _Item | str | None:
        """What to do with `record`: apply it, dead-letter it (the reason), or skip it (None)."""
        if record.value is None:
            try:
                envelope = Envelope.from_record(record.headers, None, tombstone=True)
                envelope.check_origin(record.topic)
                newcomer_id = UUID((record.key or b"").decode())
            except (InvalidEvent, ValueError, UnicodeDecodeError) as error:
                return f"unreadable tombstone: {error}"
            forget = self._forget.get(envelope.type)
            if forget is None:
                return None
            return _Item(record, envelope, lambda s: forget(s, newcomer_id), f"forget {envelope.type}")
        try:
            envelope = Envelope.from_record(record.headers, record.value)
            envelope.check_origin(record.topic)
            handler = self._handlers.get(envelope.current_type)
            event = envelope.decode()
        except InvalidEvent as error:
            return str(error)
        if isinstance(handler, Only):
            handler = handler.handler if handler.wanted(event) else None
        if handler is None:
            return None
        span = f"apply {envelope.type}"
        if isinstance(handler, WithEnvelope):
            return _Item(record, envelope, lambda s: handler.handle(s, event, envelope), span, event)
        return _Item(record, envelope, lambda s: handler(s, event), span, event)

    async def _apply_all(self, items: list[_Item]) -> list[tuple[ConsumerRecord[Any, Any], str]]:
        """Applies `items` in one transaction; returns those whose handler kept failing.

        The common case goes without savepoints (two statements fewer per
        event, and the inbox rows written at once). Should any event need to
        be rolled back alone, the batch is rolled back and applied again
        with a savepoint per event.
        """
        try:
            await self._apply_together(items)
            return []
        except (_ApplyApart, sa_exc.IntegrityError):
            return await self._apply_apart(items)

    async def _apply_together(self, items: list[_Item]) -> None:
        async with self._database.transaction() as session:
            fresh = await self._to_apply(session, items)
            for item in fresh:
                with self._span(item):
                    try:
                        await item.apply(session)
                    except Exception as error:
                        if _is_transient(error):
                            raise
                        raise _ApplyApart from error
            if fresh:  # one statement for the batch's inbox rows
                await session.exec(insert(InboxEntry), params=[_inbox_row(item.envelope) for item in fresh])

    async def _apply_apart(self, items: list[_Item]) -> list[tuple[ConsumerRecord[Any, Any], str]]:
        dead: list[tuple[ConsumerRecord[Any, Any], str]] = []
        async with self._database.transaction() as session:
            for item in await self._to_apply(session, items):
                if reason := await self._apply_one(session, item):
                    dead.append((item.record, reason))
        return dead

    async def _to_apply(self, session: AsyncSession, items: list[_Item]) -> list[_Item]:
        """The items not applied before, each once, with what they will look up loaded."""
        fresh = await _not_applied(session, items)
        if self._prepare is not None:
            await self._prepare(
                session, [(item.event, item.envelope) for item in fresh if item.event is not None]
            )
        return fresh

    def _span(self, item: _Item) -> Any:
        attributes = {
            "messaging.consumer.group.name": self.name,
            "samvirke.newcomer_id": item.envelope.subject,
        }
        context = context_from_traceparent(item.envelope.traceparent)
        return self._tracer.start_as_current_span(item.span, context=context, attributes=attributes)

    async def _apply_one(self, session: AsyncSession, item: _Item) -> str | None:
        """Applies one event in a savepoint; the reason to dead-letter it if its handler keeps failing."""
        with self._span(item):
            for attempt in range(1, self._handler_attempts + 1):
                try:
                    async with session.begin_nested():
                        session.add(InboxEntry(**_inbox_row(item.envelope)))
                        await item.apply(session)
                    return None
                except NotForUs:
                    return None
                except Exception as error:
                    if _is_transient(error):
                        raise
                    log.exception("handler for %s failed (attempt %d)", item.envelope.type, attempt)
                    reason = f"handler failed: {error!r}"
        return reason


class _ApplyApart(Exception):
    """An event of the batch must be rolled back alone: apply the batch with savepoints."""


def _inbox_row(envelope: Envelope) -> dict[str, Any]:
    return {
        "source": envelope.source,
        "event_id": envelope.id,
        "type": envelope.type,
        "applied_at": datetime.now(UTC),
    }


async def _not_applied(session: AsyncSession, items: list[_Item]) -> list[_Item]:
    """The items not applied before, each once (a batch may hold an event twice)."""
    seen = await _applied_before(session, [item.envelope for item in items])
    fresh = []
    for item in items:
        key = (item.envelope.source, item.envelope.id)
        if key not in seen:
            seen.add(key)
            fresh.append(item)
    return fresh


async def _applied_before(session: AsyncSession, envelopes: list[Envelope]) -> set[tuple[str, str]]:
    keys = {(envelope.source, envelope.id) for envelope in envelopes}
    found: set[tuple[str, str]] = set()
    for matches in matching_keys([col(InboxEntry.source), col(InboxEntry.event_id)], keys):
        rows = await session.exec(select(InboxEntry.source, InboxEntry.event_id).where(matches))
        found.update((source, event_id) for source, event_id in rows)
    return found
