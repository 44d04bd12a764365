"""The volunteer coordinators' HTTP API."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter

from shared.contracts.events.volunteering import MatchKind
from shared.service import store_dependency
from shared.web.audit import NOT_PERSONAL, PERSONAL
from shared.web.auth import Role, require_role
from shared.web.pagination import Page, PaginationDep

from . import handlers
from .models import (
    Activity,
    ActivityCreate,
    Candidate,
    HoursCreate,
    HoursLog,
    Match,
    MatchEnd,
    MatchPropose,
    MatchRequest,
    MatchRequestPublic,
    MatchStatus,
    Organisation,
    OrganisationCreate,
    PrivacyReport,
    RequestStatus,
    RequestUpdate,
    Volunteer,
    VolunteerCreate,
    VolunteerPublic,
)
from .store import VolunteeringStore

StoreDep = Annotated[VolunteeringStore, store_dependency(VolunteeringStore)]

router = APIRouter(dependencies=[require_role(Role.STAFF)])


async def _request(store: VolunteeringStore, request: MatchRequest) -> MatchRequestPublic:
    newcomer = await store.get_newcomer(request.newcomer_id)
    return MatchRequestPublic(**request.model_dump(), given_name=newcomer.given_name if newcomer else None)


@router.post(
    "/organisations",
    status_code=201,
    tags=["organisations"],
    summary="Add an organisation",
    openapi_extra=NOT_PERSONAL,
)
async def create_organisation(data: OrganisationCreate, store: StoreDep) -> Organisation:
    return await handlers.create_organisation(store, data)


@router.get("/organisations", tags=["organisations"], summary="Organisations", openapi_extra=NOT_PERSONAL)
async def list_organisations(store: StoreDep, municipality_code: str | None = None) -> list[Organisation]:
    return await store.list_organisations(municipality_code)


@router.post(
    "/volunteers",
    status_code=201,
    tags=["volunteers"],
    summary="Register a volunteer",
    openapi_extra=NOT_PERSONAL,
)
async def register_volunteer(data: VolunteerCreate, store: StoreDep) -> VolunteerPublic:
    volunteer = await handlers.register_volunteer(store, data)
    return VolunteerPublic(**volunteer.model_dump(), active_matches=0)


@router.get(
    "/volunteers/{volunteer_id}", tags=["volunteers"], summary="One volunteer", openapi_extra=NOT_PERSONAL
)
async def get_volunteer(volunteer_id: UUID, store: StoreDep) -> VolunteerPublic:
    volunteer = await store.existing(Volunteer, volunteer_id)
    loads = await store.loads([volunteer.id])
    return VolunteerPublic(**volunteer.model_dump(), active_matches=loads.get(volunteer.id, 0))


@router.get(
    "/volunteers",
    tags=["volunteers"],
    summary="Volunteers, filtered and paginated",
    openapi_extra=NOT_PERSONAL,
)
async def list_volunteers(
    store: StoreDep, pagination: PaginationDep, organisation_id: UUID | None = None
) -> Page[VolunteerPublic]:
    items, total = await store.list_volunteers(
        organisation_id=organisation_id, limit=pagination.limit, offset=pagination.offset
    )
    loads = await store.loads([v.id for v in items])
    return pagination.page(
        [VolunteerPublic(**v.model_dump(), active_matches=loads.get(v.id, 0)) for v in items], total
    )


@router.get(
    "/match-requests",
    tags=["requests"],
    summary="Match requests, filtered and paginated",
    openapi_extra=PERSONAL,
)
async def list_requests(
    store: StoreDep,
    pagination: PaginationDep,
    newcomer_id: UUID | None = None,
    status: RequestStatus | None = None,
    kind: MatchKind | None = None,
) -> Page[MatchRequestPublic]:
    items, total = await store.list_requests(
        newcomer_id=newcomer_id, status=status, kind=kind, limit=pagination.limit, offset=pagination.offset
    )
    return pagination.page([await _request(store, r) for r in items], total)


@router.get(
    "/match-requests/{request_id}", tags=["requests"], summary="One match request", openapi_extra=PERSONAL
)
async def get_request(request_id: UUID, store: StoreDep) -> MatchRequestPublic:
    return await _request(store, await store.existing(MatchRequest, request_id))


@router.patch(
    "/match-requests/{request_id}",
    tags=["requests"],
    summary="Add interests or a preferred age band",
    openapi_extra=PERSONAL,
)
async def update_request(request_id: UUID, data: RequestUpdate, store: StoreDep) -> MatchRequestPublic:
    request = await store.existing(MatchRequest, request_id)
    request.sqlmodel_update(data.model_dump(exclude_unset=True))
    return await _request(store, request)


@router.get(
    "/match-requests/{request_id}/candidates",
    tags=["matching"],
    summary="Volunteers ranked for the request, each score explained part by part",
    openapi_extra=PERSONAL,
)
async def candidates(request_id: UUID, store: StoreDep) -> list[Candidate]:
    return await handlers.rank(store, await store.existing(MatchRequest, request_id), date.today())


@router.post(
    "/match-requests/{request_id}/matches",
    status_code=201,
    tags=["matching"],
    summary="Propose a match",
    openapi_extra=PERSONAL,
)
async def propose(request_id: UUID, data: MatchPropose, store: StoreDep) -> Match:
    return await handlers.propose(store, request_id, data.volunteer_id, date.today())


@router.get("/matches", tags=["matching"], summary="Matches, filtered and paginated", openapi_extra=PERSONAL)
async def list_matches(
    store: StoreDep,
    pagination: PaginationDep,
    status: MatchStatus | None = None,
    volunteer_id: UUID | None = None,
    request_id: UUID | None = None,
) -> Page[Match]:
    items, total = await store.list_matches(
        status=status,
        volunteer_id=volunteer_id,
        request_id=request_id,
        limit=pagination.limit,
        offset=pagination.offset,
    )
    return pagination.page(items, total)


@router.get("/matches/{match_id}", tags=["matching"], summary="One match", openapi_extra=PERSONAL)
async def get_match(match_id: UUID, store: StoreDep) -> Match:
    return await store.existing(Match, match_id)


@router.post(
    "/matches/{match_id}/accept", tags=["matching"], summary="Both sides said yes", openapi_extra=PERSONAL
)
async def accept(match_id: UUID, store: StoreDep) -> Match:
    return await handlers.accept(store, match_id, date.today())


@router.post(
    "/matches/{match_id}/activate",
    tags=["matching"],
    summary="They met for the first time",
    openapi_extra=PERSONAL,
)
async def activate(match_id: UUID, store: StoreDep) -> Match:
    return await handlers.activate(store, match_id, date.today())


@router.post(
    "/matches/{match_id}/end",
    tags=["matching"],
    summary="End the match, with a reason",
    openapi_extra=PERSONAL,
)
async def end(match_id: UUID, data: MatchEnd, store: StoreDep) -> Match:
    return await handlers.end(store, match_id, data.reason, date.today())


@router.post(
    "/matches/{match_id}/hours",
    status_code=201,
    tags=["follow-through"],
    summary="Log hours spent",
    openapi_extra=PERSONAL,
)
async def log_hours(match_id: UUID, data: HoursCreate, store: StoreDep) -> HoursLog:
    return await handlers.log_hours(store, match_id, data)


@router.post(
    "/activities",
    status_code=201,
    tags=["follow-through"],
    summary="Record a meeting place or activity",
    openapi_extra=NOT_PERSONAL,
)
async def record_activity(data: ActivityCreate, store: StoreDep) -> Activity:
    return await handlers.record_activity(store, data)


@router.get(
    "/activities",
    tags=["follow-through"],
    summary="Activities with participation counts",
    openapi_extra=NOT_PERSONAL,
)
async def list_activities(store: StoreDep, organisation_id: UUID | None = None) -> list[Activity]:
    return await store.list_activities(organisation_id)


@router.get(
    "/privacy/newcomers/{newcomer_id}",
    tags=["privacy"],
    summary="What this store holds on a newcomer, and the erasures that prove what it no longer holds",
    openapi_extra=PERSONAL,
)
async def privacy_report(newcomer_id: UUID, store: StoreDep) -> PrivacyReport:
    return await handlers.privacy_report(store, newcomer_id)
