"""Database engine and transactions for a service's own store."""

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Table, and_, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.runtime import audit
from shared.runtime.migrations import upgrade
from shared.runtime.outbox import Outbox
from shared.runtime.sqlite import SQLITE_BEGIN, sqlite_engine
from shared.runtime.transaction import TransactionSession, state_of


def create_engine(url: str, *, sqlite_busy_timeout_s: float = 30.0) -> AsyncEngine:
    """An async engine for `url`: a SQLite file (created with its folder) or PostgreSQL."""
    if make_url(url).get_backend_name() == "sqlite":
        return sqlite_engine(url, busy_timeout_s=sqlite_busy_timeout_s)
    return create_async_engine(url, pool_pre_ping=True)


def matching_keys(columns: Sequence[Any], keys: Iterable[Any], chunk: int = 500) -> Iterator[Any]:
    """WHERE clauses, each for at most `chunk` keys, that together match `keys` of `columns`.

    A key is a value, or a tuple for several columns (a composite primary
    key). Composite keys are grouped by all but their last column and matched
    as `a = ? AND b IN (…)`: SQLite uses no index for a row-value list
    (`(a, b) IN ((?, ?), …)`) and would scan the whole table — the inbox or a
    journal, which only grow.
    """
    if len(columns) == 1:
        values = list(keys)
        for start in range(0, len(values), chunk):
            yield columns[0].in_(values[start : start + chunk])
        return
    by_prefix: dict[tuple[Any, ...], list[Any]] = {}
    for key in keys:
        by_prefix.setdefault(tuple(key[:-1]), []).append(key[-1])
    for prefix, lasts in by_prefix.items():
        same_prefix = [column == value for column, value in zip(columns[:-1], prefix, strict=True)]
        for start in range(0, len(lasts), chunk):
            yield and_(*same_prefix, columns[-1].in_(lasts[start : start + chunk]))


class Database:
    """A service's store: one engine, its sessions, and the outbox their transactions stage events in."""

    def __init__(self, engine: AsyncEngine, tables: Sequence[Table], *, write_wait_s: float = 30.0) -> None:
        self.engine = engine
        self.tables = list(dict.fromkeys(tables))  # a shared table may come from several modules
        # A session class of this database's own, so the outbox listens to its transactions only.
        self.session_class: type[TransactionSession] = type("StoreSession", (TransactionSession,), {})
        self.outbox = Outbox()
        self.outbox.listen(self.session_class)
        audit.listen(self.session_class)
        self._sessions = async_sessionmaker(
            engine, class_=AsyncSession, sync_session_class=self.session_class, expire_on_commit=False
        )
        # Reads take no write lock on SQLite; PostgreSQL ignores the option.
        self._reading = engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"})
        self._read_sessions = async_sessionmaker(
            self._reading, class_=AsyncSession, sync_session_class=self.session_class, expire_on_commit=False
        )
        self._write_wait_s = write_wait_s
        self._writer: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    @classmethod
    def from_url(
        cls, url: str, tables: Sequence[Table], *, sqlite_busy_timeout_s: float = 30.0
    ) -> "Database":
        engine = create_engine(url, sqlite_busy_timeout_s=sqlite_busy_timeout_s)
        return cls(engine, tables, write_wait_s=sqlite_busy_timeout_s)

    async def create_schema(self) -> None:
        """Creates the tables as the models say: for tests of rules, not for stores that last."""
        async with self.engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all, tables=self.tables)

    async def migrate(self, script_location: Path) -> None:
        """Upgrades the store to the newest revision of its versioned schema."""
        async with self.engine.begin() as connection:
            await connection.run_sync(upgrade, script_location)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reading; on SQLite its transactions take the write lock only when they write."""
        async with self._read_sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        """A session whose work commits together, or not at all.

        `read_only` promises no writes: on SQLite it then waits for no writer.
        """
        if read_only:
            async with self._read_sessions() as session, session.begin():
                yield session
        else:
            async with self.writing(), self._sessions() as session, session.begin():
                yield session
        if state_of(session).staged.any:  # committed: the relay may publish what it staged
            self.outbox.committed()

    @asynccontextmanager
    async def plain_transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction on a connection, without an ORM session: for a writer of plain rows that runs
        for every request (the audit trail's), where a session's machinery would cost more than the writes.
        Its caller wakes the relay (`outbox.committed`) if it wrote outbox rows."""
        async with self.writing(), self.engine.begin() as connection:
            yield connection

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """Held while this process writes to a SQLite store: its writers take turns, in order.

        SQLite lets one connection write at a time; a connection that finds
        the store locked polls, sleeping up to 100 ms between tries, and a
        newcomer may take the lock ahead of it. Within a process, writers (API
        requests, the consumer's batches, the relay's deletes) queue here
        instead, first come first served, and SQLite's wait is left to other
        processes. Waiting longer than the busy timeout is an outage, as
        SQLite's own wait would be. PostgreSQL locks rows, not the store:
        nothing is held there.
        """
        if not self.is_sqlite:
            yield
            return
        loop = asyncio.get_running_loop()
        if self._writer is None or self._writer[0] is not loop:
            self._writer = (loop, asyncio.Lock())
        lock = self._writer[1]
        try:
            await asyncio.wait_for(lock.acquire(), self._write_wait_s)
        except TimeoutError as error:
            raise sa_exc.TimeoutError(
                f"this process's other writers held the store for over {self._write_wait_s:g} s"
            ) from error
        try:
            yield
        finally:
            lock.release()

    async def ping(self) -> None:
        """The store answers; on SQLite without waiting for the write lock, which a batch may hold."""
        async with self._reading.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
