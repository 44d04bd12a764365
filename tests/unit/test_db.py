"""A SQLite store: its writers within one process take turns in arrival order, waiting too long is an
outage; a transaction is one as SQLite sees it, in as few trips to the driver's thread as it can."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from shared.runtime.db import Database

NAMES = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh"]


async def test_writers_take_turns_first_come_first_served(tmp_path: Path) -> None:
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}", [])
    order: list[str] = []
    first_holds = asyncio.Event()

    async def write(name: str, hold_s: float = 0.0) -> None:
        async with database.transaction() as session:
            order.append(f"{name} in")
            if name == "first":
                first_holds.set()
            await session.exec(text("CREATE TABLE IF NOT EXISTS t (x TEXT)"))  # type: ignore[call-overload]
            await session.exec(text("INSERT INTO t VALUES (:x)"), params={"x": name})  # type: ignore[call-overload]
            await asyncio.sleep(hold_s)
            order.append(f"{name} out")

    try:
        first = asyncio.create_task(write("first", hold_s=0.3))
        await first_holds.wait()
        later = []
        for name in NAMES[1:]:  # each arriving after the one before
            later.append(asyncio.create_task(write(name)))
            await asyncio.sleep(0.01)
        await asyncio.gather(first, *later)
        async with database.session() as session:
            rows = (await session.exec(text("SELECT x FROM t ORDER BY rowid"))).all()  # type: ignore[call-overload]
    finally:
        await database.dispose()

    assert order == [f"{name} {step}" for name in NAMES for step in ("in", "out")]
    assert [x for (x,) in rows] == NAMES


async def test_a_writer_kept_waiting_past_the_busy_timeout_fails_as_an_outage(tmp_path: Path) -> None:
    database = Database.from_url(
        f"sqlite+aiosqlite:///{tmp_path / 'store.db'}", [], sqlite_busy_timeout_s=0.2
    )
    holding = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with database.transaction():
            holding.set()
            await release.wait()

    try:
        holder = asyncio.create_task(hold())
        await holding.wait()
        with pytest.raises(sa_exc.TimeoutError, match="other writers"):
            async with database.transaction():
                pass
        async with database.transaction(read_only=True) as session:  # readers do not wait
            assert (await session.exec(text("SELECT 1"))).one() == (1,)  # type: ignore[call-overload]
        release.set()
        await holder
    finally:
        await database.dispose()


async def test_a_transaction_undone_leaves_nothing_though_its_begin_rode_with_its_first_statement(
    tmp_path: Path,
) -> None:
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}", [])
    try:
        async with database.transaction() as session:
            await session.exec(text("CREATE TABLE t (x TEXT)"))  # type: ignore[call-overload]
        with pytest.raises(RuntimeError, match="undo"):
            async with database.transaction() as session:
                await session.exec(text("INSERT INTO t VALUES ('kept?')"))  # type: ignore[call-overload]
                raise RuntimeError("undo")
        async with database.transaction():
            pass  # no statement: nothing began, nothing to commit
        async with database.session() as session:
            assert (await session.exec(text("SELECT count(*) FROM t"))).one() == (0,)  # type: ignore[call-overload]
    finally:
        await database.dispose()


@asynccontextmanager
async def two_processes(tmp_path: Path) -> AsyncIterator[tuple[Database, Database]]:
    """One store as two processes see it; the second waits at most 0.2 s for SQLite's lock."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    ours, theirs = Database.from_url(url, []), Database.from_url(url, [], sqlite_busy_timeout_s=0.2)
    try:
        yield ours, theirs
    finally:
        await ours.dispose()
        await theirs.dispose()


async def test_another_process_cannot_write_while_a_transaction_holds_the_store(tmp_path: Path) -> None:
    async with two_processes(tmp_path) as (ours, theirs):
        async with ours.transaction() as session:
            await session.exec(text("CREATE TABLE t (x TEXT)"))  # type: ignore[call-overload]
        async with ours.transaction() as session:
            await session.exec(text("SELECT count(*) FROM t"))  # type: ignore[call-overload]  # the lock: taken
            with pytest.raises(sa_exc.OperationalError, match="locked"):
                async with theirs.transaction() as other:
                    await other.exec(text("INSERT INTO t VALUES ('between')"))  # type: ignore[call-overload]
            await session.exec(text("INSERT INTO t VALUES ('ours')"))  # type: ignore[call-overload]
        async with theirs.transaction() as other:  # once committed, the other goes ahead
            await other.exec(text("INSERT INTO t VALUES ('theirs')"))  # type: ignore[call-overload]
        async with ours.session() as session:
            rows = (await session.exec(text("SELECT x FROM t ORDER BY rowid"))).all()  # type: ignore[call-overload]
    assert [x for (x,) in rows] == ["ours", "theirs"]


async def test_only_a_writers_begin_goes_to_sqlites_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trip to the thread wakes it, then the event loop (~0.2-0.3 ms on two virtual cores).

    Only BEGIN IMMEDIATE may wait (for another process's writer): it rides
    with the write's first statement; reads, later statements and commits
    run on the event loop.
    """
    trips: list[str] = []
    execute = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", "?"))
        return await execute(self, fn, *args, **kwargs)

    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}", [])
    try:
        async with database.transaction(read_only=True) as session:
            await session.exec(text("SELECT 1"))  # type: ignore[call-overload]  # the connection opens
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        async with database.transaction(read_only=True) as session:
            await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            await session.exec(text("SELECT 2"))  # type: ignore[call-overload]
        assert trips == []
        async with database.transaction() as session:
            await session.exec(text("CREATE TABLE t (x TEXT)"))  # type: ignore[call-overload]
            await session.exec(text("INSERT INTO t VALUES ('a')"))  # type: ignore[call-overload]
        assert trips == ["run"]
        async with database.session() as session:
            assert (await session.exec(text("SELECT x FROM t"))).all() == [("a",)]  # type: ignore[call-overload]
    finally:
        await database.dispose()


async def test_the_readiness_ping_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    async with two_processes(tmp_path) as (writer, probed), writer.transaction() as session:
        await session.exec(text("CREATE TABLE t (x TEXT)"))  # type: ignore[call-overload]  # holds the lock
        await probed.ping()
