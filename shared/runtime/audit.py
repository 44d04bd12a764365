"""The audit trail: who read or changed which newcomer's data, when, why, and with what outcome.

Every API request to a route about newcomers writes one `AuditEntry` in the
service's own store, with a row per newcomer the request touched
(`AuditSubject`): the newcomer in the path, each row about a newcomer the
store loaded or added for it (the rows of a list, each one returned). The
entry of a request that changes data commits in the same transaction as the
change; that of a read, or of a refused or failed request, in a short
transaction of its own before the response leaves.

Entries are append-only and chained: `seal` gives each unsealed entry, in
order, its place in the chain and a SHA-256 over the previous entry's hash
and its own content (ids included), and keeps the chain's length and last
hash in `audit_chain`. `verify` recomputes the chain: an entry altered,
removed or inserted after sealing breaks it at that entry. (Someone who can
rewrite the whole table and the head can also rewrite the chain; publishing
the head elsewhere is what makes that visible.)
"""

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import ColumnElement, event, false, func, insert, literal, or_
from sqlalchemy.engine import Connection
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.envelope import Envelope
from shared.contracts.events import AccessRecorded
from shared.runtime.outbox import OUTBOX, outbox_row, stage
from shared.runtime.scope import Scope
from shared.runtime.telemetry import current_traceparent
from shared.runtime.transaction import TransactionSession, state_of

if TYPE_CHECKING:
    from shared.runtime.db import Database

log = logging.getLogger(__name__)

GENESIS = "0" * 64  # the hash before the first entry


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    subject: str = Field(max_length=255, index=True)  # the staff member (the token's `sub`)
    agency: str = Field(max_length=32)
    role: str = Field(max_length=32)
    scope: str = Field(max_length=1000)  # municipalities, or the organisation, the token acted for
    method: str = Field(max_length=10)
    route: str = Field(max_length=255)  # the route's template, never its query (search terms are names)
    purpose: str = Field(max_length=255)  # what the route is for, in plain words
    outcome: int  # the response's HTTP status
    sealed_as: int | None = Field(default=None, unique=True)  # its place in the chain, once sealed
    hash: str | None = Field(default=None, max_length=64)


@dataclass(slots=True)
class Access:
    """What one request's audit entry says, as it is written: a plain record, built on every audited
    request (a table model's instrumentation costs ten times as much to build)."""

    at: datetime
    subject: str
    agency: str
    role: str
    scope: str
    method: str
    route: str
    purpose: str
    outcome: int
    id: int | None = None  # the entry's, once written


class AuditSubject(SQLModel, table=True):
    """A newcomer an audit entry's request touched."""

    __tablename__ = "audit_subject"

    entry_id: int = Field(foreign_key="audit_entry.id", primary_key=True)
    newcomer_id: UUID = Field(primary_key=True, index=True)


class AuditChain(SQLModel, table=True):
    """The sealed chain's length and last hash (one row)."""

    __tablename__ = "audit_chain"

    id: int = Field(default=1, primary_key=True)
    length: int = 0
    head: str = Field(default=GENESIS, max_length=64)


# Built once: compiled once, and each request only binds its values.
# Core inserts on the tables, not ORM-enabled ones on the models: a third of the cost.
_ENTRY, _SUBJECT = AuditEntry.__table__, AuditSubject.__table__  # type: ignore[attr-defined]
_INSERT_ENTRIES = insert(_ENTRY).returning(_ENTRY.c.id, sort_by_parameter_order=True)  # one statement
_INSERT_SUBJECTS = insert(_SUBJECT)
_WRITTEN = ("at", "subject", "agency", "role", "scope", "method", "route", "purpose", "outcome")

TABLES = [model.__table__ for model in (AuditEntry, AuditSubject, AuditChain)]  # type: ignore[union-attr]


@dataclass
class Seen:
    """The newcomers one request's transactions touched, gathered as the store loads and adds rows."""

    keys: Mapping[type[Any], str] = field(default_factory=dict)  # models whose key is not `newcomer_id`
    newcomers: set[UUID] = field(default_factory=set)

    def note(self, row: Any) -> None:
        value = getattr(row, self.keys.get(type(row), "newcomer_id"), None)
        if isinstance(value, UUID):
            self.newcomers.add(value)


def listen(session_class: type[TransactionSession]) -> None:
    """Notes each row `session_class`'s sessions load for a request that is being audited."""
    event.listen(session_class, "loaded_as_persistent", _note_loaded)


def _note_loaded(session: TransactionSession, instance: Any) -> None:
    if session.seen is not None:
        session.seen.note(instance)


def watch(session: AsyncSession, seen: Seen) -> None:
    """From now on, what `session` loads is noted in `seen`."""
    state_of(session).seen = seen


def _content(entry: AuditEntry, newcomers: Iterable[UUID]) -> bytes:
    at = entry.at.astimezone(UTC) if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
    fields = {
        "id": entry.id,
        "at": at.isoformat(),
        "subject": entry.subject,
        "agency": entry.agency,
        "role": entry.role,
        "scope": entry.scope,
        "method": entry.method,
        "route": entry.route,
        "purpose": entry.purpose,
        "outcome": entry.outcome,
        "newcomers": sorted(str(newcomer) for newcomer in newcomers),
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def chained(previous: str, entry: AuditEntry, newcomers: Iterable[UUID]) -> str:
    return hashlib.sha256(previous.encode() + _content(entry, newcomers)).hexdigest()


@dataclass(frozen=True)
class Announce:
    """The access event a service publishes for each newcomer an audited request saw, and its source."""

    event: type[AccessRecorded]
    source: str


@dataclass(frozen=True)
class Verdict:
    entries: int  # sealed entries checked
    broken_at: int | None  # the first entry (its id) whose hash does not follow, or None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None and not self.reason


class AuditLog:
    """The audit trail's SQL, in one service's store."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, entry: Access, newcomers: Iterable[UUID], announce: Announce | None = None) -> int:
        """Writes `entry` (its id, returned); with `announce`, stages one access event per newcomer it
        saw (refusals aside)."""
        [entry_id] = await self.record_all([(entry, newcomers, announce)])
        return entry_id

    async def record_all(self, items: Sequence[tuple[Access, Iterable[UUID], Announce | None]]) -> list[int]:
        """Writes each entry and stages its access events, as `record` does. Plain inserts, all run in one
        call into the database driver (not one await per statement): this runs for every audited request."""
        touched = [sorted(set(newcomers), key=str) for _, newcomers, _ in items]
        entries = [entry for entry, _, _ in items]
        ids = await self.session.run_sync(lambda session: _insert(session.connection(), entries, touched))
        for (entry, _, announce), whom in zip(items, touched, strict=True):
            for access in _access_events(entry, whom, announce):
                stage(self.session, access, source=announce.source if announce else "")
        return ids

    async def seal(self, limit: int = 1000) -> int:
        """Chains up to `limit` unsealed entries, oldest first; how many it sealed."""
        head = (await self.session.exec(select(AuditChain).with_for_update())).first()
        if head is None:
            head = AuditChain()
            self.session.add(head)
        query = select(AuditEntry).where(col(AuditEntry.sealed_as).is_(None)).order_by(col(AuditEntry.id))
        entries = list((await self.session.exec(query.limit(limit))).all())
        subjects = await self._subjects([entry.id for entry in entries if entry.id is not None])
        for entry in entries:
            head.length += 1
            head.head = chained(head.head, entry, subjects.get(entry.id or 0, []))
            entry.sealed_as, entry.hash = head.length, head.head
        return len(entries)

    async def verify(self, batch: int = 5000) -> Verdict:
        """Walks the sealed chain from its start and checks every link and the head."""
        previous, expected, checked = GENESIS, 1, 0
        while True:
            query = (
                select(AuditEntry)
                .where(col(AuditEntry.sealed_as) >= expected)
                .order_by(col(AuditEntry.sealed_as))
                .limit(batch)
            )
            entries = list((await self.session.exec(query)).all())
            if not entries:
                break
            subjects = await self._subjects([entry.id for entry in entries if entry.id is not None])
            for entry in entries:
                if entry.sealed_as != expected:
                    return Verdict(checked, entry.id, f"entry {expected} of the chain is missing")
                if entry.hash != chained(previous, entry, subjects.get(entry.id or 0, [])):
                    return Verdict(checked, entry.id, f"entry {entry.id} does not match its hash")
                previous, expected, checked = entry.hash, expected + 1, checked + 1
        head = (await self.session.exec(select(AuditChain))).first() or AuditChain()
        if head.length != checked or head.head != previous:
            return Verdict(checked, None, f"the chain holds {checked} entries, its head says {head.length}")
        return Verdict(checked, None)

    async def entries(
        self,
        *,
        newcomer_id: UUID | None,
        subject: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        offset: int,
        scope: Scope | None = None,
    ) -> tuple[list[tuple[AuditEntry, list[UUID]]], int]:
        """Entries matching the filters, newest first, with the newcomers each touched; and the count.

        With `scope` (an auditor's), only entries of staff who acted for one of its municipalities, or
        for its organisation: each municipality's or organisation's internal control sees its own staff.
        """
        query = select(AuditEntry)
        if scope is not None:
            query = query.where(_acted_within(scope))
        if newcomer_id is not None:
            about = select(AuditSubject.entry_id).where(AuditSubject.newcomer_id == newcomer_id)
            query = query.where(col(AuditEntry.id).in_(about))
        if subject is not None:
            query = query.where(AuditEntry.subject == subject)
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        if until is not None:
            query = query.where(AuditEntry.at < until)
        total = (await self.session.exec(select(func.count()).select_from(query.subquery()))).one()
        page = query.order_by(col(AuditEntry.id).desc()).limit(limit).offset(offset)
        entries = list((await self.session.exec(page)).all())
        subjects = await self._subjects([entry.id for entry in entries if entry.id is not None])
        return [(entry, subjects.get(entry.id or 0, [])) for entry in entries], total

    async def _subjects(self, entry_ids: list[int]) -> dict[int, list[UUID]]:
        found: dict[int, list[UUID]] = {}
        if entry_ids:
            query = select(AuditSubject).where(col(AuditSubject.entry_id).in_(entry_ids))
            for row in (await self.session.exec(query)).all():
                found.setdefault(row.entry_id, []).append(row.newcomer_id)
        return found


def _insert(connection: Connection, entries: Sequence[Access], touched: Sequence[list[UUID]]) -> list[int]:
    """Inserts the entries and their newcomers: two statements whatever their number. Sets each entry's id."""
    values = [{name: getattr(entry, name) for name in _WRITTEN} for entry in entries]
    ids = [int(row[0]) for row in connection.execute(_INSERT_ENTRIES, values)]
    subjects = [
        {"entry_id": entry_id, "newcomer_id": newcomer}
        for entry_id, whom in zip(ids, touched, strict=True)
        for newcomer in whom
    ]
    if subjects:
        connection.execute(_INSERT_SUBJECTS, subjects)
    for entry, entry_id in zip(entries, ids, strict=True):
        entry.id = entry_id
    return ids


def _access_events(
    entry: Access, whom: Iterable[UUID], announce: Announce | None
) -> Iterator[AccessRecorded]:
    """The access events of an entry: one per newcomer it saw, none for a refusal or a failure."""
    if announce is None or entry.outcome >= 400 or entry.id is None:
        return
    changed = entry.method not in ("GET", "HEAD", "OPTIONS")
    for newcomer in whom:
        yield announce.event(
            newcomer_id=newcomer,
            entry_id=entry.id,
            at=entry.at,
            role=entry.role,
            purpose=entry.purpose,
            changed=changed,
        )


def _acted_within(scope: Scope) -> ColumnElement[bool]:
    if scope.organisation is not None:
        return col(AuditEntry.scope) == f"organisation {scope.organisation}"
    padded = literal(" ") + col(AuditEntry.scope) + literal(" ")  # "0301 3405": whole codes only
    return or_(false(), *(padded.like(f"% {code} %") for code in sorted(scope.municipalities)))


class AuditWriter:
    """Writes entries outside a request's own transaction (reads, refusals) with group commit.

    An entry goes into the next transaction the writer opens; entries that come
    while one commits share the one after (on SQLite, where one connection
    writes at a time, concurrent reads take the write lock once per group).
    With `wait` (the default), `write` returns once its entry is committed, so
    a response is never sent before its entry is kept, and one whose entry
    cannot be written is not sent. Without it, `write` returns at once and the
    entry is committed moments after the response: the request does not wait
    for a commit; the entries of `linger_s` share one transaction, and a
    process that dies in those moments loses them (a change's entry is always
    in the change's transaction).
    An entry nobody waits for is kept and tried again while the store is down;
    `drain` writes what is left at shutdown.
    """

    def __init__(
        self,
        database: Callable[[], "Database"],
        *,
        wait: bool = True,
        linger_s: float = 0.05,
        retry_s: float = 1.0,
    ) -> None:
        self.database = database
        self.wait = wait
        self.linger_s = linger_s  # without `wait`: how long entries gather before one transaction takes them
        self.retry_s = retry_s
        self._pending: list[_Pending] = []
        self._flushing: asyncio.Task[None] | None = None

    async def write(self, entry: Access, newcomers: Iterable[UUID], announce: Announce | None) -> None:
        future = asyncio.get_running_loop().create_future() if self.wait else None
        whom = sorted(set(newcomers), key=str)
        self._pending.append(_Pending(entry, whom, announce, current_traceparent(), future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        if future is not None:
            await future

    async def drain(self, timeout_s: float = 10.0) -> None:
        """Waits until every entry handed over is written, or `timeout_s` has passed (then says so)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while self._flushing is not None and not self._flushing.done():
                    await asyncio.shield(self._flushing)
        if self._pending:
            log.error("%d audit entries of reads could not be written before shutdown", len(self._pending))

    async def _flush(self) -> None:
        while self._pending:
            if not self.wait:  # nobody waits: let a moment's entries share one transaction
                await asyncio.sleep(self.linger_s)
            group, self._pending = self._pending, []
            try:  # the store itself may be out of reach: the group is kept for the next try then too
                database = self.database()
                # A plain connection, not a session: its machinery would cost more than these inserts.
                async with database.plain_transaction() as connection:
                    staged = await connection.run_sync(_write_group, group)
            except Exception as error:
                for item in group:  # each waiting request fails with it: its response is not sent
                    if item.future is not None and not item.future.done():
                        item.future.set_exception(error)
                unheld = [item for item in group if item.future is None]
                if unheld:  # nobody waits for these: they are kept for the next try
                    self._pending[:0] = unheld
                    log.warning("writing %d audit entries failed; trying again", len(unheld), exc_info=True)
                    await asyncio.sleep(self.retry_s)
            else:
                if staged:
                    database.outbox.committed()
                for item in group:
                    if item.future is not None and not item.future.done():
                        item.future.set_result(None)


@dataclass
class _Pending:
    """An entry handed to the writer: its newcomers, its access events' source and the request's trace."""

    entry: Access
    newcomers: list[UUID]
    announce: Announce | None
    traceparent: str | None
    future: asyncio.Future[None] | None


def _write_group(connection: Connection, group: Sequence[_Pending]) -> bool:
    """Writes a group's entries and the outbox rows of their access events; whether any event was staged."""
    _insert(connection, [item.entry for item in group], [item.newcomers for item in group])
    rows = [
        outbox_row(access, Envelope.wrap(access, source=item.announce.source, traceparent=item.traceparent))
        for item in group
        if item.announce is not None
        for access in _access_events(item.entry, item.newcomers, item.announce)
    ]
    if rows:
        connection.execute(OUTBOX, rows)
    return bool(rows)


def now() -> datetime:
    return datetime.now(UTC)


async def seal_all(database: "Database") -> int:
    """Seals every entry written so far; how many."""
    sealed = 0
    while True:
        async with database.transaction() as session:
            count = await AuditLog(session).seal()
        sealed += count
        if count == 0:
            return sealed


def sealing(interval_s: float) -> Callable[["Database"], Coroutine[Any, Any, None]]:
    """A background loop sealing new entries every `interval_s`; a failed round is tried again."""

    async def run(database: "Database") -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await seal_all(database)
            except Exception:  # the store is down: the entries wait, unsealed, for the next round
                log.warning(
                    "sealing the audit trail failed; trying again in %.1f s", interval_s, exc_info=True
                )

    return run
