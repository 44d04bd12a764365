"""The language-school staff's HTTP API."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter

from shared.http import NotFound, Page, PaginationDep
from shared.service import store_dependency

from .models import LearnerPublic, LearnerStatus
from .store import EducationStore

StoreDep = Annotated[EducationStore, store_dependency(EducationStore)]

router = APIRouter(prefix="/learners", tags=["learners"])


@router.get("/{newcomer_id}", response_model=LearnerPublic, summary="One learner record")
async def get_learner(newcomer_id: UUID, store: StoreDep) -> LearnerPublic:
    learner = await store.get_learner(newcomer_id)
    if learner is None:
        raise NotFound("learner record for newcomer", newcomer_id)
    return LearnerPublic.model_validate(learner)


@router.get("", response_model=Page[LearnerPublic], summary="Learner records, filtered and paginated")
async def list_learners(
    store: StoreDep,
    pagination: PaginationDep,
    status: LearnerStatus | None = None,
    municipality_code: str | None = None,
) -> Page[LearnerPublic]:
    items, total = await store.list_learners(
        status=status, municipality_code=municipality_code, limit=pagination.limit, offset=pagination.offset
    )
    return pagination.page([LearnerPublic.model_validate(x) for x in items], total)
