"""The job centre's SQL."""

from typing import ClassVar
from uuid import UUID

from sqlmodel import col, select

from shared.store import Store

from .models import Case, CaseStatus

TABLES = [Case.__table__]  # type: ignore[attr-defined]


class EmploymentStore(Store):
    source: ClassVar[str] = "/samvirke/employment"

    def add_case(self, case: Case) -> None:
        self.session.add(case)

    async def get_case(self, newcomer_id: UUID) -> Case | None:
        return await self.session.get(Case, newcomer_id)

    async def list_cases(
        self, *, status: CaseStatus | None, municipality_code: str | None, limit: int, offset: int
    ) -> tuple[list[Case], int]:
        query = select(Case)
        if status is not None:
            query = query.where(Case.status == status)
        if municipality_code is not None:
            query = query.where(Case.municipality_code == municipality_code)
        return await self.page(query, col(Case.opened_at), col(Case.newcomer_id), limit=limit, offset=offset)
