"""Database engine and transactions for a service's own store."""

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import Table, and_, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from .migrations import upgrade


def create_engine(url: str, *, sqlite_busy_timeout_s: float = 30.0) -> AsyncEngine:
    """An async engine for `url`: a SQLite file (created with its folder) or PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    path = parsed.database or ":memory:"

    async def connect() -> aiosqlite.Connection:
        connector = partial(sqlite3.connect, path, timeout=sqlite_busy_timeout_s, check_same_thread=False)
        connection = _OneTripConnection(connector, iter_chunk_size=64)
        connection._thread.daemon = True  # as SQLAlchemy's own aiosqlite connect does
        return await connection

    engine = create_async_engine(url, async_creator=connect)
    event.listen(engine.sync_engine, "connect", _tune_sqlite)
    event.listen(engine.sync_engine, "begin", _begin_sqlite)
    return engine


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


class _OneTripConnection(aiosqlite.Connection):
    """aiosqlite's connection, going to its thread only for what may wait on another process.

    aiosqlite runs every call on a thread of its own, and SQLAlchemy makes
    four calls a statement (open a cursor, execute, fetch, close): four trips,
    each waking that thread and then the event loop. On two virtual cores a
    trip costs ~0.2-0.3 ms, more than SQLite spends on a small statement.

    Only a write transaction's BEGIN IMMEDIATE can wait — for another
    process's writer, up to the busy timeout — and it goes to the thread
    with the transaction's first statement, so the event loop never waits
    on a lock. Everything else runs on the event loop, a statement's cursor
    executed, fetched and closed at once: in WAL mode a read never waits for
    a writer, and once a transaction holds the write lock its statements and
    its commit wait for no one (this process's writers take turns before
    BEGIN, see `Database.writing`). A rollback runs only if a transaction is
    open (the pool rolls back every connection it takes back, most of them
    just committed).
    """

    _begin: str | None = None  # the BEGIN to run with the next statement

    def begin_with_next_statement(self, begin: str) -> None:
        self._begin = begin

    def take_begin(self) -> str | None:
        begin, self._begin = self._begin, None
        return begin

    def cursor(self) -> "_OneTripCursor":  # type: ignore[override]
        return _OneTripCursor(self)

    async def commit(self) -> None:
        if self.take_begin() is None:  # else no statement ran: nothing began
            self._conn.commit()

    async def rollback(self) -> None:
        if self.take_begin() is None and self._connection is not None and self._connection.in_transaction:
            self._conn.rollback()


class _OneTripCursor:
    """The part of aiosqlite's cursor SQLAlchemy uses; the rows arrive with the statement."""

    arraysize = 1

    def __init__(self, connection: _OneTripConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> "_OneTripCursor":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = None) -> "_OneTripCursor":
        return await self._run("execute", sql, parameters)

    async def executemany(self, sql: str, parameters: Any) -> "_OneTripCursor":
        return await self._run("executemany", sql, parameters)

    async def _run(self, method: str, sql: str, parameters: Any) -> "_OneTripCursor":
        begin = self._connection.take_begin()

        def run() -> tuple[Any, int, int | None, list[Any]]:
            cursor = self._connection._conn.cursor()
            try:
                if begin is not None:
                    cursor.execute(begin)
                if parameters is None:
                    getattr(cursor, method)(sql)
                else:
                    getattr(cursor, method)(sql, parameters)
                rows = cursor.fetchall() if cursor.description else []
                return cursor.description, cursor.rowcount, cursor.lastrowid, rows
            finally:
                cursor.close()

        if begin is not None and not begin.endswith("DEFERRED"):  # may wait for another process's writer
            outcome = await self._connection._execute(run)  # type: ignore[no-untyped-call]
        else:
            outcome = run()  # waits for nothing: no trip to the thread
        self.description, self.rowcount, self.lastrowid, self._rows = outcome
        return self

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        taken, self._rows = self._rows[: size or self.arraysize], self._rows[size or self.arraysize :]
        return taken

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the API read while a consumer writes; NORMAL sync is durable in WAL mode
    # against process crashes, which is the failure the outbox and inbox must survive.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # The driver's own transaction handling starts a transaction only at the first write and
    # breaks savepoints; SQLAlchemy's documented remedy is to emit BEGIN ourselves.
    dbapi_connection.isolation_level = None


def _begin_sqlite(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front (waiting up to the busy timeout), so a
    # transaction that reads, then writes, never fails because another wrote in between.
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
    driver_connection = connection.connection.driver_connection
    if isinstance(driver_connection, _OneTripConnection):
        driver_connection.begin_with_next_statement(f"BEGIN {mode}")  # saves a trip to its thread
    else:
        connection.exec_driver_sql(f"BEGIN {mode}")


SQLITE_BEGIN = "samvirke_sqlite_begin"


class Database:
    """A service's store: one engine, sessions, and hooks run after each commit."""

    def __init__(self, engine: AsyncEngine, tables: Sequence[Table], *, write_wait_s: float = 30.0) -> None:
        self.engine = engine
        self.tables = list(dict.fromkeys(tables))  # a shared table may come from several modules
        self._sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        # Reads take no write lock on SQLite; PostgreSQL ignores the option.
        self._reading = engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"})
        self._read_sessions = async_sessionmaker(
            self._reading,
            class_=AsyncSession,
            expire_on_commit=False,
        )
        self._after_commit: list[Callable[[dict[Any, Any]], None]] = []
        self._write_wait_s = write_wait_s
        self._writer: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    @classmethod
    def from_url(
        cls, url: str, tables: Sequence[Table], *, sqlite_busy_timeout_s: float = 30.0
    ) -> "Database":
        engine = create_engine(url, sqlite_busy_timeout_s=sqlite_busy_timeout_s)
        return cls(engine, tables, write_wait_s=sqlite_busy_timeout_s)

    def after_commit(self, hook: Callable[[dict[Any, Any]], None]) -> None:
        """Runs `hook` with the session's `info` after each commit of `transaction()`."""
        self._after_commit.append(hook)

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
                info = dict(session.info)
        else:
            async with self.writing(), self._sessions() as session, session.begin():
                yield session
                info = dict(session.info)
        for hook in self._after_commit:
            hook(info)

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
