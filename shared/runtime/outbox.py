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

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import event, func, insert
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.envelope import Envelope
from shared.contracts.events import Event
from shared.runtime.telemetry import current_traceparent
from shared.runtime.transaction import TransactionSession, state_of


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


OUTBOX = insert(OutboxMessage.__table__)  # type: ignore[attr-defined]


def stage(session: AsyncSession, event: Event, *, source: str) -> Envelope:
    """Adds `event` to the outbox in the caller's transaction, with the current trace."""
    envelope = Envelope.wrap(event, source=source, traceparent=current_traceparent())
    _stage_row(session, outbox_row(event, envelope))
    return envelope


def outbox_row(event: Event, envelope: Envelope) -> dict[str, Any]:
    """The outbox row of `event` in `envelope`: for a writer inserting rows itself (`OUTBOX`)."""
    return {
        "event_id": envelope.id,
        "topic": event.topic,
        "key": envelope.subject,
        "type": envelope.type,
        "source": envelope.source,
        "time": envelope.time,
        "data": envelope.data,
        "traceparent": envelope.traceparent,
    }


def stage_tombstone(session: AsyncSession, event_type: type[Event], key: str, *, source: str) -> None:
    """Adds a tombstone for `key` on `event_type`'s compacted topic: Kafka then forgets the key."""
    _stage_row(
        session,
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


def _stage_row(session: AsyncSession, row: dict[str, Any]) -> None:
    staged = state_of(session).staged
    staged.any = True
    staged.rows.append(row)


async def write_staged(session: AsyncSession) -> None:
    """Writes the rows staged so far now, rather than when the transaction commits."""
    await session.run_sync(_write_staged)


class Outbox:
    """Where a database's transactions put their events: written as each commits, the relay woken after.

    A `Database` makes one for the sessions it opens (`listen`): a reader of
    `Store.emit` follows `stage` to the rows written here as the transaction
    commits, and to `committed`, which the database calls after a commit
    that staged events, waking the relay (`after_commit`).
    """

    def __init__(self) -> None:
        self._after_commit: list[Callable[[], None]] = []

    def listen(self, session_class: type[TransactionSession]) -> None:
        """Writes the staged rows of `session_class`'s transactions and savepoints as they commit."""
        event.listen(session_class, "before_commit", _write_staged)
        event.listen(session_class, "after_transaction_create", _note_savepoint)
        event.listen(session_class, "after_soft_rollback", _take_back)

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Calls `hook` after each commit that staged events: the relay's `notify`."""
        self._after_commit.append(hook)

    def committed(self) -> None:
        for hook in self._after_commit:
            hook()


def _write_staged(session: Session) -> None:
    # Before a transaction or a savepoint commits: its rows, and any staged before it.
    staged = state_of(session).staged
    if rows := staged.rows:
        staged.rows = []
        session.execute(OUTBOX, rows)


def _note_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        staged = state_of(session).staged
        staged.at_savepoint[transaction] = list(staged.rows)


def _take_back(session: Session, transaction: SessionTransaction) -> None:
    # A rolled-back savepoint undid what it wrote: the rows staged before it are
    # unwritten again, those staged in it are gone. A rolled-back transaction keeps nothing.
    staged = state_of(session).staged
    unwritten = staged.at_savepoint.get(transaction) if transaction.nested else None
    staged.rows = list(unwritten) if unwritten else []


async def pending_count(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
