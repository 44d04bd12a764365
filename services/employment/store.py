"""The job centre's SQL."""

from datetime import date
from typing import ClassVar
from uuid import UUID

from sqlalchemy import ColumnElement, func
from sqlmodel import SQLModel, col, select

from shared.domain.contacts import Contact, contact_of
from shared.runtime.store import Scope, Store
from shared.runtime.worklist import ACTIVE, WorkTask

from .models import (
    Case,
    CaseStatus,
    Employer,
    FollowUp,
    JobPlan,
    Mapping,
    Placement,
    PlacementStatus,
)

TABLES = [
    model.__table__  # type: ignore[union-attr]
    for model in (Case, Contact, Mapping, JobPlan, Employer, Placement, FollowUp)
]


class EmploymentStore(Store):
    source: ClassVar[str] = "/samvirke/employment"
    municipality_columns: ClassVar = {
        Case: "municipality_code",
        Employer: "municipality_code",
        WorkTask: "municipality_code",
    }

    def scope_condition(self, model: type[SQLModel], scope: Scope) -> ColumnElement[bool] | None:
        if model in (Mapping, JobPlan, Placement, FollowUp):  # a case's rows: where the case is
            within = col(Case.municipality_code).in_(scope.municipalities)
            return col(model.newcomer_id).in_(select(Case.newcomer_id).where(within))
        return super().scope_condition(model, scope)

    def add(self, row: Case | Mapping | JobPlan | Employer | Placement | FollowUp) -> None:
        self.add_row(row)

    async def get_case(self, newcomer_id: UUID) -> Case | None:
        return await self.find(Case, newcomer_id)

    async def list_cases(
        self, *, status: CaseStatus | None, municipality_code: str | None, limit: int, offset: int
    ) -> tuple[list[Case], int]:
        query = self.scoped(select(Case), Case)
        if status is not None:
            query = query.where(Case.status == status)
        if municipality_code is not None:
            query = query.where(Case.municipality_code == municipality_code)
        return await self.page(query, col(Case.opened_at), col(Case.newcomer_id), limit=limit, offset=offset)

    async def get_contact(self, newcomer_id: UUID) -> Contact | None:
        return await contact_of(self.session, newcomer_id)

    async def get_mapping(self, newcomer_id: UUID) -> Mapping | None:
        return await self.find(Mapping, newcomer_id)

    async def get_plan(self, newcomer_id: UUID) -> JobPlan | None:
        return await self.find(JobPlan, newcomer_id)

    async def get_employer(self, employer_id: UUID) -> Employer | None:
        return await self.find(Employer, employer_id)

    async def employer_by_number(self, organisation_number: str) -> Employer | None:
        query = select(Employer).where(Employer.organisation_number == organisation_number)
        return (await self.session.exec(query)).first()

    async def list_employers(
        self, *, municipality_code: str | None, limit: int, offset: int
    ) -> tuple[list[Employer], int]:
        query = self.scoped(select(Employer), Employer)
        if municipality_code is not None:
            query = query.where(Employer.municipality_code == municipality_code)
        return await self.page(query, col(Employer.name), col(Employer.id), limit=limit, offset=offset)

    async def get_placement(self, placement_id: UUID) -> Placement | None:
        return await self.find(Placement, placement_id)

    async def placements_of(self, newcomer_id: UUID, *, active_only: bool = False) -> list[Placement]:
        query = select(Placement).where(Placement.newcomer_id == newcomer_id)
        if active_only:
            query = query.where(Placement.status == PlacementStatus.ACTIVE)
        return list((await self.session.exec(query.order_by(col(Placement.starts_on)))).all())

    async def placement_by_mentor_request(self, request_id: UUID) -> Placement | None:
        query = select(Placement).where(Placement.language_mentor_request_id == request_id)
        return (await self.session.exec(query)).first()

    async def follow_ups_of(self, newcomer_id: UUID) -> list[FollowUp]:
        query = select(FollowUp).where(FollowUp.newcomer_id == newcomer_id).order_by(col(FollowUp.held_on))
        return list((await self.session.exec(query)).all())

    async def count_follow_ups(self, newcomer_id: UUID, start: date, end: date) -> int:
        query = (
            select(func.count())
            .select_from(FollowUp)
            .where(
                FollowUp.newcomer_id == newcomer_id,
                col(FollowUp.held_on) >= start,
                col(FollowUp.held_on) <= end,
            )
        )
        return (await self.session.exec(query)).one()

    async def open_tasks(self, newcomer_id: UUID) -> int:
        """How many of the newcomer's worklist tasks are open or in progress."""
        query = (
            select(func.count())
            .select_from(WorkTask)
            .where(WorkTask.newcomer_id == newcomer_id, col(WorkTask.status).in_(ACTIVE))
        )
        return (await self.session.exec(query)).one()
