"""Idempotent consumption: each event's effects are applied once, whatever Kafka redelivers.

The inbox records `(source, event id)` in the same transaction as the state
change, and the Kafka offset is committed only after that transaction
commits. A redelivered event finds its inbox row and changes nothing.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from aiokafka import ConsumerRecord
from opentelemetry.trace import Tracer
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from .db import Database
from .envelope import Envelope, InvalidEvent
from .events import Event

log = logging.getLogger(__name__)


class InboxEntry(SQLModel, table=True):
    __tablename__ = "inbox"

    source: str = Field(primary_key=True, max_length=255)
    event_id: str = Field(primary_key=True, max_length=64)
    type: str = Field(max_length=255)
    applied_at: datetime


async def record_once(session: AsyncSession, envelope: Envelope) -> bool:
    """Records the event in the inbox; False if it was applied before."""
    if await session.get(InboxEntry, (envelope.source, envelope.id)) is not None:
        return False
    session.add(
        InboxEntry(
            source=envelope.source,
            event_id=envelope.id,
            type=envelope.type,
            applied_at=datetime.now(UTC),
        )
    )
    await session.flush()
    return True


Handler = Callable[[AsyncSession, Any], Awaitable[None]]
Forget = Callable[[AsyncSession, UUID], Awaitable[None]]  # a tombstone: erase what is held on the newcomer


class NotForUs(Exception):
    """Raised by a handler when the event concerns someone this service may hold nothing about.

    The whole transaction is rolled back, inbox row included, and the offset
    is committed: not even the event's id is kept.
    """


class DeadLetters(Protocol):
    async def __call__(self, record: ConsumerRecord[Any, Any], reason: str) -> None: ...


class EventConsumer:
    """Applies other agencies' events to this service's store, each exactly once.

    - A record that is not a valid catalogued event goes to the dead-letter
      topic with the reason, and consumption goes on.
    - A catalogued event this service has no handler for is skipped.
    - A tombstone (null value) on a per-person topic erases what `forget`
      holds for that newcomer, once.
    - A lost database connection is retried with backoff, never skipped: the
      error propagates and the offset is not committed.
    - A handler that keeps failing on one event dead-letters that event
      rather than halting the partition behind it.
    """

    def __init__(
        self,
        *,
        name: str,
        database: Database,
        handlers: Mapping[type[Event], Handler],
        forget: Mapping[type[Event], Forget] | None = None,
        dead_letters: DeadLetters,
        tracer: Tracer,
        handler_attempts: int = 3,
        transient_attempts: int = 8,
        max_backoff_s: float = 5.0,
    ) -> None:
        self.name = name
        self._database = database
        self._handlers = {event.type: handler for event, handler in handlers.items()}
        self._forget = {event.type: forget for event, forget in (forget or {}).items()}
        self._dead_letters = dead_letters
        self._tracer = tracer
        self._handler_attempts = handler_attempts
        self._transient_attempts = transient_attempts
        self._max_backoff_s = max_backoff_s

    @property
    def event_types(self) -> list[str]:
        return sorted(self._handlers)

    async def consume(self, record: ConsumerRecord[Any, Any]) -> None:
        if record.value is None:
            await self._consume_tombstone(record)
            return
        try:
            envelope = Envelope.from_record(record.headers, record.value)
            handler = self._handlers.get(envelope.type)
            event = envelope.decode()
        except InvalidEvent as error:
            log.warning("dead-lettering %s@%s: %s", record.topic, record.offset, error)
            await self._dead_letters(record, str(error))
            return
        if handler is None:
            return
        attributes = {"messaging.consumer.group.name": self.name, "samvirke.newcomer_id": envelope.subject}
        with self._tracer.start_as_current_span(f"apply {envelope.type}", attributes=attributes):
            await self._apply_with_retries(record, envelope, lambda session: handler(session, event))

    async def _consume_tombstone(self, record: ConsumerRecord[Any, Any]) -> None:
        try:
            envelope = Envelope.from_record(record.headers, None, tombstone=True)
            forget = self._forget.get(envelope.type)
            newcomer_id = UUID((record.key or b"").decode())
        except (InvalidEvent, ValueError, UnicodeDecodeError) as error:
            await self._dead_letters(record, f"unreadable tombstone: {error}")
            return
        if forget is not None:
            with self._tracer.start_as_current_span(f"forget {envelope.type}"):
                await self._apply_with_retries(record, envelope, lambda session: forget(session, newcomer_id))

    async def _apply_with_retries(
        self,
        record: ConsumerRecord[Any, Any],
        envelope: Envelope,
        apply: Callable[[AsyncSession], Awaitable[None]],
    ) -> None:
        failures = 0
        transient = 0
        while True:
            try:
                await self._apply(envelope, apply)
                return
            except (DBAPIError, OSError) as error:
                if isinstance(error, IntegrityError):
                    failures += 1
                    if failures >= self._handler_attempts:
                        await self._dead_letters(record, f"handler failed: {error}")
                        return
                    continue
                transient += 1
                if transient >= self._transient_attempts:
                    raise  # not committed: the broker redelivers it
                delay = min(0.1 * 2**transient, self._max_backoff_s)
                log.warning("store unavailable (%s); retrying in %.1fs", error, delay)
                await asyncio.sleep(delay)
            except Exception as error:  # a rule or bug in the handler
                failures += 1
                log.exception("handler for %s failed (attempt %d)", envelope.type, failures)
                if failures >= self._handler_attempts:
                    await self._dead_letters(record, f"handler failed: {error!r}")
                    return

    async def _apply(self, envelope: Envelope, apply: Callable[[AsyncSession], Awaitable[None]]) -> None:
        try:
            async with self._database.transaction() as session:
                if await record_once(session, envelope):
                    await apply(session)
        except NotForUs:
            pass


def dead_letter_headers(record: ConsumerRecord[Any, Any], reason: str, consumer: str) -> dict[str, str]:
    """The original headers plus why and where from, for the dead-letter topic."""
    headers = {name: (raw or b"").decode(errors="replace") for name, raw in record.headers}
    headers.update(
        {
            "dlq_reason": reason[:1000],
            "dlq_consumer": consumer,
            "dlq_origin_topic": record.topic,
            "dlq_origin_partition": str(record.partition),
            "dlq_origin_offset": str(record.offset),
            "dlq_failed_at": datetime.now(UTC).isoformat(),
        }
    )
    return headers
