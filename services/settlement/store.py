"""The settlement register's SQL."""

from typing import ClassVar
from uuid import UUID

from sqlmodel import col, select

from shared.store import Store

from .models import Newcomer, NewcomerStatus

TABLES = [Newcomer.__table__]  # type: ignore[attr-defined]


class SettlementStore(Store):
    source: ClassVar[str] = "/samvirke/settlement"

    def add_newcomer(self, newcomer: Newcomer) -> None:
        self.session.add(newcomer)

    async def get_newcomer(self, newcomer_id: UUID) -> Newcomer | None:
        return await self.session.get(Newcomer, newcomer_id)

    async def list_newcomers(
        self,
        *,
        status: NewcomerStatus | None,
        municipality_code: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Newcomer], int]:
        query = select(Newcomer)
        if status is not None:
            query = query.where(Newcomer.status == status)
        if municipality_code is not None:
            query = query.where(Newcomer.municipality_code == municipality_code)
        return await self.page(
            query, col(Newcomer.registered_at), col(Newcomer.id), limit=limit, offset=offset
        )
