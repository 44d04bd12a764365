"""The settlement officers' HTTP API."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter

from shared.http import NotFound, Page, PaginationDep
from shared.service import store_dependency

from . import handlers
from .models import NewcomerCreate, NewcomerPublic, NewcomerStatus, SettlementCreate
from .store import SettlementStore

StoreDep = Annotated[SettlementStore, store_dependency(SettlementStore)]

router = APIRouter(prefix="/newcomers", tags=["newcomers"])


@router.post("", status_code=201, response_model=NewcomerPublic, summary="Register a newcomer")
async def register_newcomer(data: NewcomerCreate, store: StoreDep) -> NewcomerPublic:
    newcomer = await handlers.register_newcomer(store, data)
    return NewcomerPublic.model_validate(newcomer)


@router.post(
    "/{newcomer_id}/settlement",
    response_model=NewcomerPublic,
    summary="Settle a registered newcomer in a municipality",
)
async def settle_newcomer(newcomer_id: UUID, data: SettlementCreate, store: StoreDep) -> NewcomerPublic:
    newcomer = await handlers.settle_newcomer(store, newcomer_id, data)
    return NewcomerPublic.model_validate(newcomer)


@router.get("/{newcomer_id}", response_model=NewcomerPublic, summary="One newcomer")
async def get_newcomer(newcomer_id: UUID, store: StoreDep) -> NewcomerPublic:
    newcomer = await store.get_newcomer(newcomer_id)
    if newcomer is None:
        raise NotFound("newcomer", newcomer_id)
    return NewcomerPublic.model_validate(newcomer)


@router.get("", response_model=Page[NewcomerPublic], summary="Newcomers, filtered and paginated")
async def list_newcomers(
    store: StoreDep,
    pagination: PaginationDep,
    status: NewcomerStatus | None = None,
    municipality_code: str | None = None,
) -> Page[NewcomerPublic]:
    items, total = await store.list_newcomers(
        status=status, municipality_code=municipality_code, limit=pagination.limit, offset=pagination.offset
    )
    return pagination.page([NewcomerPublic.model_validate(n) for n in items], total)
