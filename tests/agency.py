"""One agency on a fresh store, for the rule tests: each use case in a transaction of its own."""

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import Table
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.runtime import worklist
from shared.runtime.db import Database
from shared.runtime.outbox import OutboxMessage

T = TypeVar("T")
StoreT = TypeVar("StoreT")
RowT = TypeVar("RowT")


class AgencyOnStore(Generic[StoreT]):
    """Runs use cases against `database` through the agency's store, as its API or consumer would."""

    def __init__(self, database: Database, make_store: Callable[[AsyncSession], StoreT]) -> None:
        self.database = database
        self.make_store = make_store

    async def __call__(self, use_case: Callable[..., Awaitable[T]], *args: Any) -> T:
        async with self.database.transaction() as session:
            return await use_case(self.make_store(session), *args)

    async def row(self, model: type[RowT], key: Any) -> RowT:
        """The stored row of `model` with primary key `key`, which must exist."""
        async with self.database.session() as session:
            row = await session.get(model, key)
        assert row is not None, f"no {model.__name__} {key}"
        return row

    async def outbox(
        self, newcomer_id: UUID | None = None
    ) -> list[tuple[OutboxMessage, dict[str, Any] | None]]:
        """What the agency staged to publish, in order (about `newcomer_id` only, if given), with its data."""
        async with self.database.session() as session:
            rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.position))).all()
        return [
            (row, json.loads(row.data) if row.data else None)
            for row in rows
            if newcomer_id is None or row.key == str(newcomer_id)
        ]

    async def published(self, newcomer_id: UUID | None = None) -> list[tuple[str, Any]]:
        """Each staged event's type without `samvirke.<agency>.` (`learner.enrolled.v1`), and its data."""
        return [(row.type.split(".", 2)[-1], data) for row, data in await self.outbox(newcomer_id)]


@asynccontextmanager
async def fresh_store(url: str, tables: list[Table]) -> AsyncIterator[Database]:
    """A store at `url` with these tables, the outbox and the worklist, created from the models and disposed
    after."""
    database = Database.from_url(url, [*tables, OutboxMessage.__table__, *worklist.TABLES])  # type: ignore[attr-defined]
    await database.create_schema()
    try:
        yield database
    finally:
        await database.dispose()
