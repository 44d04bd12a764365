"""The language school's SQL."""

from typing import ClassVar
from uuid import UUID

from sqlmodel import col, select

from shared.store import Store

from .models import Learner, LearnerStatus

TABLES = [Learner.__table__]  # type: ignore[attr-defined]


class EducationStore(Store):
    source: ClassVar[str] = "/samvirke/education"

    def add_learner(self, learner: Learner) -> None:
        self.session.add(learner)

    async def get_learner(self, newcomer_id: UUID) -> Learner | None:
        return await self.session.get(Learner, newcomer_id)

    async def list_learners(
        self, *, status: LearnerStatus | None, municipality_code: str | None, limit: int, offset: int
    ) -> tuple[list[Learner], int]:
        query = select(Learner)
        if status is not None:
            query = query.where(Learner.status == status)
        if municipality_code is not None:
            query = query.where(Learner.municipality_code == municipality_code)
        return await self.page(
            query, col(Learner.opened_at), col(Learner.newcomer_id), limit=limit, offset=offset
        )
