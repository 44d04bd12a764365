"""The case workers' HTTP API."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter

from shared.http import NotFound, Page, PaginationDep
from shared.service import store_dependency

from .models import CasePublic, CaseStatus
from .store import EmploymentStore

StoreDep = Annotated[EmploymentStore, store_dependency(EmploymentStore)]

router = APIRouter(prefix="/cases", tags=["cases"])


@router.get("/{newcomer_id}", response_model=CasePublic, summary="One newcomer's case")
async def get_case(newcomer_id: UUID, store: StoreDep) -> CasePublic:
    case = await store.get_case(newcomer_id)
    if case is None:
        raise NotFound("case for newcomer", newcomer_id)
    return CasePublic.model_validate(case)


@router.get("", response_model=Page[CasePublic], summary="Cases, filtered and paginated")
async def list_cases(
    store: StoreDep,
    pagination: PaginationDep,
    status: CaseStatus | None = None,
    municipality_code: str | None = None,
) -> Page[CasePublic]:
    items, total = await store.list_cases(
        status=status, municipality_code=municipality_code, limit=pagination.limit, offset=pagination.offset
    )
    return pagination.page([CasePublic.model_validate(x) for x in items], total)
