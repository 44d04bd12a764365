"""What every service's store shares: a session, and events staged in its transaction."""

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from .envelope import Envelope
from .events import Event
from .outbox import stage, stage_tombstone

RowT = TypeVar("RowT")


class Store:
    """Base of each service's store, the only place that service talks SQL."""

    source: ClassVar[str]  # the CloudEvents source of what this service publishes

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def flush(self) -> None:
        """Writes pending rows now, so rows that refer to them can follow in the same transaction."""
        await self.session.flush()

    def emit(self, event: Event) -> Envelope:
        """Stages `event` to be published once the current transaction commits."""
        return stage(self.session, event, source=self.source)

    def forget(self, event_type: type[Event], key: str) -> None:
        """Stages a tombstone: the compacted topic of `event_type` drops what it holds for `key`."""
        stage_tombstone(self.session, event_type, key, source=self.source)

    async def page(
        self, query: SelectOfScalar[RowT], *order_by: Any, limit: int, offset: int
    ) -> tuple[list[RowT], int]:
        """One page of `query`'s rows in a stable order, and how many rows there are in all."""
        total = (await self.session.exec(select(func.count()).select_from(query.subquery()))).one()
        rows = await self.session.exec(query.order_by(*order_by).limit(limit).offset(offset))
        return list(rows.all()), total


StoreT = TypeVar("StoreT", bound=Store)
EventT = TypeVar("EventT")


def on_store(
    make_store: Callable[[AsyncSession], StoreT], use_case: Callable[[StoreT, EventT], Awaitable[Any]]
) -> Callable[[AsyncSession, EventT], Awaitable[None]]:
    """Adapts a use case on a store into a consumer handler on the inbox's session."""

    async def handle(session: AsyncSession, event: EventT) -> None:
        await use_case(make_store(session), event)

    return handle
