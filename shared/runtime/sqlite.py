"""SQLite as a service's embedded store: WAL, IMMEDIATE write transactions, few trips to its thread."""

import sqlite3
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BEGIN = "samvirke_sqlite_begin"  # execution option: the BEGIN mode of a connection's transactions


def sqlite_engine(url: str, *, busy_timeout_s: float) -> AsyncEngine:
    """An engine on the SQLite file of `url`, its folder created."""
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    path = parsed.database or ":memory:"

    async def connect() -> aiosqlite.Connection:
        connector = partial(sqlite3.connect, path, timeout=busy_timeout_s, check_same_thread=False)
        connection = _OneTripConnection(connector, iter_chunk_size=64)
        connection._thread.daemon = True  # as SQLAlchemy's own aiosqlite connect does
        return await connection

    engine = create_async_engine(url, async_creator=connect)
    event.listen(engine.sync_engine, "connect", _tune_sqlite)
    event.listen(engine.sync_engine, "begin", _begin_sqlite)
    return engine


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
