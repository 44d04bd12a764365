"""The language school's SQL."""

from typing import ClassVar
from uuid import UUID

from sqlalchemy import func
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
        total = (await self.session.exec(select(func.count()).select_from(query.subquery()))).one()
        page = query.order_by(col(Learner.opened_at), col(Learner.newcomer_id)).limit(limit).offset(offset)
        return list((await self.session.exec(page)).all()), total
