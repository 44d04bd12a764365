"""The volunteer coordinators' HTTP API."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter

from shared.events.volunteering import MatchKind
from shared.http import NotFound, Page, PaginationDep
from shared.service import store_dependency

from .models import MatchRequestPublic, MatchRequestStatus
from .store import VolunteeringStore

StoreDep = Annotated[VolunteeringStore, store_dependency(VolunteeringStore)]

router = APIRouter(prefix="/match-requests", tags=["match requests"])


@router.get("/{request_id}", response_model=MatchRequestPublic, summary="One match request")
async def get_request(request_id: UUID, store: StoreDep) -> MatchRequestPublic:
    request = await store.get_request(request_id)
    if request is None:
        raise NotFound("match request", request_id)
    return MatchRequestPublic.model_validate(request)


@router.get("", response_model=Page[MatchRequestPublic], summary="Match requests, filtered and paginated")
async def list_requests(
    store: StoreDep,
    pagination: PaginationDep,
    newcomer_id: UUID | None = None,
    status: MatchRequestStatus | None = None,
    kind: MatchKind | None = None,
) -> Page[MatchRequestPublic]:
    items, total = await store.list_requests(
        newcomer_id=newcomer_id, status=status, kind=kind, limit=pagination.limit, offset=pagination.offset
    )
    return pagination.page([MatchRequestPublic.model_validate(x) for x in items], total)
