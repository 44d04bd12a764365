"""Transactional outbox: events are written with the state change, then relayed to Kafka.

A handler stages its events in the same transaction as its store writes, so a
crash can delay an event but never lose one or publish one that did not
happen. The relay publishes rows in order and deletes them only after Kafka
acknowledged them (idempotent producer, acks=all); a crash between the two
publishes a row again, which consumers' inboxes make harmless. Kafka, not
the outbox, keeps the history: once published, nothing of an event stays in
the service's store, which erasure relies on.

Staged rows are kept with the session and written together, in the order
they were staged, when its transaction (or the savepoint they were staged
in) commits: one statement for a batch, and no per-row round trip for the
position. A rolled-back savepoint takes back what was staged in it.
"""

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import delete, event, func, insert, text
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from .db import Database
from .envelope import Envelope
from .events import Event
from .telemetry import current_traceparent

log = logging.getLogger(__name__)


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"

    position: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=64)
    topic: str = Field(max_length=255)
    key: str = Field(max_length=255)
    type: str = Field(max_length=255)
    source: str = Field(max_length=255)
    time: datetime
    data: bytes | None = Field(default=None, description="None is a tombstone: forget this key")
    traceparent: str | None = Field(default=None, max_length=64)

    def envelope(self) -> Envelope:
        return Envelope(
            id=self.event_id,
            source=self.source,
            type=self.type,
            subject=self.key,
            time=self.time.replace(tzinfo=self.time.tzinfo or UTC),
            data=self.data or b"",
            traceparent=self.traceparent,
        )


STAGED = "samvirke.outbox.staged"  # set in a session's info when its transaction staged rows
_ROWS = "samvirke.outbox.rows"  # session info: rows staged and not yet written, in order
_AT_SAVEPOINT = "samvirke.outbox.at_savepoint"  # session info: each open savepoint's unwritten rows


def stage(session: AsyncSession, event: Event, *, source: str) -> Envelope:
    """Adds `event` to the outbox in the caller's transaction, with the current trace."""
    envelope = Envelope.wrap(event, source=source, traceparent=current_traceparent())
    _stage_row(
        session.sync_session,
        {
            "event_id": envelope.id,
            "topic": event.topic,
            "key": envelope.subject,
            "type": envelope.type,
            "source": envelope.source,
            "time": envelope.time,
            "data": envelope.data,
            "traceparent": envelope.traceparent,
        },
    )
    return envelope


def stage_tombstone(session: AsyncSession, event_type: type[Event], key: str, *, source: str) -> None:
    """Adds a tombstone for `key` on `event_type`'s compacted topic: Kafka then forgets the key."""
    _stage_row(
        session.sync_session,
        {
            "event_id": str(uuid4()),
            "topic": event_type.topic,
            "key": key,
            "type": event_type.type,
            "source": source,
            "time": datetime.now(UTC),
            "data": None,
            "traceparent": current_traceparent(),
        },
    )


def _stage_row(session: Session, row: dict[str, Any]) -> None:
    session.info[STAGED] = True
    session.info.setdefault(_ROWS, []).append(row)


async def write_staged(session: AsyncSession) -> None:
    """Writes the rows staged so far now, rather than when the transaction commits."""
    await session.run_sync(_write_staged)


@event.listens_for(Session, "before_commit")
def _write_staged(session: Session) -> None:
    # Before a transaction or a savepoint commits: its rows, and any staged before it.
    if rows := session.info.pop(_ROWS, None):
        session.execute(insert(OutboxMessage.__table__), rows)  # type: ignore[attr-defined]


@event.listens_for(Session, "after_transaction_create")
def _note_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:  # (SQLAlchemy ends a savepoint before its rollback event: kept until it is gone)
        at_savepoint = session.info.setdefault(_AT_SAVEPOINT, weakref.WeakKeyDictionary())
        at_savepoint[transaction] = list(session.info.get(_ROWS, ()))


@event.listens_for(Session, "after_soft_rollback")
def _take_back(session: Session, transaction: SessionTransaction) -> None:
    # A rolled-back savepoint undid what it wrote: the rows staged before it are
    # unwritten again, those staged in it are gone. A rolled-back transaction keeps nothing.
    unwritten = session.info.get(_AT_SAVEPOINT, {}).get(transaction) if transaction.nested else None
    if unwritten:
        session.info[_ROWS] = unwritten
    else:
        session.info.pop(_ROWS, None)


async def pending_count(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(OutboxMessage))).one()


OUTBOX_LOCK = 0x53414D5649524B45  # "SAMVIRKE": the advisory lock one relay holds while it publishes


async def _lead(session: AsyncSession) -> bool:
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return True
    result = await connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": OUTBOX_LOCK})
    return bool(result.scalar())


# Sends one record and returns the future of its broker acknowledgement, so a
# batch can be sent in order and acknowledged together.
Send = Callable[[OutboxMessage], Awaitable[Awaitable[object]]]


class OutboxRelay:
    """Publishes unsent outbox rows, promptly after a commit and on a slow poll."""

    def __init__(
        self,
        database: Database,
        send: Send,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        max_backoff_s: float = 10.0,
    ) -> None:
        self._database = database
        self._send = send
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._max_backoff_s = max_backoff_s
        self._wake = asyncio.Event()
        self._stopping = False

    def stop(self) -> None:
        """Asks `run` to return once the batch in hand is published and deleted."""
        self._stopping = True
        self.notify()

    def notify(self) -> None:
        """Wakes the relay now, instead of at its next poll."""
        self._wake.set()

    def on_commit(self, info: dict[Any, Any]) -> None:
        """After-commit hook: wakes the relay only when the transaction staged events."""
        if info.get(STAGED):
            self.notify()

    async def run(self) -> None:
        backoff = self._poll_interval_s
        while not self._stopping:
            try:
                while await self.publish_pending() == self._batch_size and not self._stopping:
                    pass
                backoff = self._poll_interval_s
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying in %.1fs", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval_s)
            self._wake.clear()

    async def publish_pending(self) -> int:
        """Publishes one batch of rows in order, then deletes them; returns how many were sent.

        On PostgreSQL one instance of a service publishes at a time (a
        transaction-scoped advisory lock): rows are taken in order and never
        by two relays at once, so one newcomer's events keep their order
        however many instances run. Others skip the cycle and try again.
        A SQLite store belongs to a single instance.
        """
        # A plain session, not Database.transaction(): its commit must not wake this relay again.
        async with self._database.session() as session, session.begin():
            if not await _lead(session):
                return 0
            query = select(OutboxMessage).order_by(col(OutboxMessage.position)).limit(self._batch_size)
            rows = list((await session.exec(query)).all())
            if not rows:
                return 0
            await self._publish_in_order(rows)
            if not self._database.is_sqlite:
                await _delete(session, rows)
        if self._database.is_sqlite:
            # SQLite has one writer at a time: holding it while Kafka answers (or does not,
            # when the broker is down) would stall every other write of the service.
            async with self._database.writing(), self._database.session() as session, session.begin():
                await _delete(session, rows)
        return len(rows)

    async def _publish_in_order(self, rows: Sequence[OutboxMessage]) -> None:
        acknowledgements = [await self._send(row) for row in rows]
        await asyncio.gather(*acknowledgements)


async def _delete(session: AsyncSession, rows: Sequence[OutboxMessage]) -> None:
    positions = [row.position for row in rows]
    await session.exec(delete(OutboxMessage).where(col(OutboxMessage.position).in_(positions)))
