"""A SQLite store's writers within one process take turns in arrival order; waiting too long is an outage."""

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from shared.db import Database

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
