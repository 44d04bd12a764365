"""The case workers' HTTP API."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body

from shared.service import store_dependency
from shared.web.audit import NOT_PERSONAL, PERSONAL
from shared.web.auth import Role, require_role
from shared.web.pagination import Page, PaginationDep

from . import handlers
from .models import (
    Case,
    CasePublic,
    CaseStatus,
    Closure,
    Employer,
    EmployerCreate,
    FollowUp,
    FollowUpCompliance,
    FollowUpCreate,
    JobPlan,
    JobPlanSet,
    Mapping,
    MappingSet,
    Outcome,
    Placement,
    PlacementCreate,
    PlacementEnd,
)
from .store import EmploymentStore

StoreDep = Annotated[EmploymentStore, store_dependency(EmploymentStore)]
Languages = Annotated[list[str], Body(embed=True, description="Languages the mentor should share (ISO 639)")]

router = APIRouter(dependencies=[require_role(Role.STAFF)])


async def _case(store: EmploymentStore, case: Case) -> CasePublic:
    contact = await store.get_contact(case.newcomer_id)
    return CasePublic(
        **case.model_dump(),
        given_name=contact.given_name if contact else None,
        family_name=contact.family_name if contact else None,
        mapping_completed=await store.get_mapping(case.newcomer_id) is not None,
        follow_ups=await handlers.compliance(store, case, date.today()),
        open_tasks=await store.open_tasks(case.newcomer_id),
    )


@router.get("/cases", tags=["cases"], summary="Cases, filtered and paginated", openapi_extra=PERSONAL)
async def list_cases(
    store: StoreDep,
    pagination: PaginationDep,
    status: CaseStatus | None = None,
    municipality_code: str | None = None,
) -> Page[CasePublic]:
    items, total = await store.list_cases(
        status=status, municipality_code=municipality_code, limit=pagination.limit, offset=pagination.offset
    )
    return pagination.page([await _case(store, c) for c in items], total)


@router.get("/cases/{newcomer_id}", tags=["cases"], summary="One newcomer's case", openapi_extra=PERSONAL)
async def get_case(newcomer_id: UUID, store: StoreDep) -> CasePublic:
    return await _case(store, await store.existing(Case, newcomer_id))


@router.post(
    "/cases/{newcomer_id}/outcomes",
    tags=["cases"],
    summary="Job, education or self-support: closes the case",
    openapi_extra=PERSONAL,
)
async def record_outcome(newcomer_id: UUID, data: Outcome, store: StoreDep) -> CasePublic:
    return await _case(store, await handlers.record_outcome(store, newcomer_id, data))


@router.post(
    "/cases/{newcomer_id}/closure",
    tags=["cases"],
    summary="Close the case with an end reason",
    openapi_extra=PERSONAL,
)
async def close_case(newcomer_id: UUID, data: Closure, store: StoreDep) -> CasePublic:
    return await _case(store, await handlers.close_case(store, newcomer_id, data))


@router.put(
    "/cases/{newcomer_id}/mapping",
    tags=["mapping and plan"],
    summary="Record the competence mapping",
    openapi_extra=PERSONAL,
)
async def complete_mapping(newcomer_id: UUID, data: MappingSet, store: StoreDep) -> Mapping:
    return await handlers.complete_mapping(store, newcomer_id, data)


@router.get(
    "/cases/{newcomer_id}/mapping",
    tags=["mapping and plan"],
    summary="The competence mapping",
    openapi_extra=PERSONAL,
)
async def get_mapping(newcomer_id: UUID, store: StoreDep) -> Mapping:
    mapping = await store.existing(Mapping, newcomer_id)
    return mapping


@router.put(
    "/cases/{newcomer_id}/plan",
    tags=["mapping and plan"],
    summary="Agree the job plan",
    openapi_extra=PERSONAL,
)
async def agree_job_plan(newcomer_id: UUID, data: JobPlanSet, store: StoreDep) -> JobPlan:
    return await handlers.agree_job_plan(store, newcomer_id, data)


@router.get(
    "/cases/{newcomer_id}/plan", tags=["mapping and plan"], summary="The job plan", openapi_extra=PERSONAL
)
async def get_job_plan(newcomer_id: UUID, store: StoreDep) -> JobPlan:
    plan = await store.existing(JobPlan, newcomer_id)
    return plan


@router.post(
    "/employers",
    status_code=201,
    tags=["employers"],
    summary="Register an employer",
    openapi_extra=NOT_PERSONAL,
)
async def register_employer(data: EmployerCreate, store: StoreDep) -> Employer:
    return await handlers.register_employer(store, data)


@router.get(
    "/employers", tags=["employers"], summary="Employers, filtered and paginated", openapi_extra=NOT_PERSONAL
)
async def list_employers(
    store: StoreDep, pagination: PaginationDep, municipality_code: str | None = None
) -> Page[Employer]:
    items, total = await store.list_employers(
        municipality_code=municipality_code, limit=pagination.limit, offset=pagination.offset
    )
    return pagination.page(items, total)


@router.post(
    "/cases/{newcomer_id}/placements",
    status_code=201,
    tags=["placements"],
    summary="Start a placement",
    openapi_extra=PERSONAL,
)
async def start_placement(newcomer_id: UUID, data: PlacementCreate, store: StoreDep) -> Placement:
    return await handlers.start_placement(store, newcomer_id, data)


@router.get(
    "/cases/{newcomer_id}/placements",
    tags=["placements"],
    summary="A newcomer's placements",
    openapi_extra=PERSONAL,
)
async def placements_of(newcomer_id: UUID, store: StoreDep) -> list[Placement]:
    await store.existing(Case, newcomer_id)
    return await store.placements_of(newcomer_id)


@router.get(
    "/placements/{placement_id}", tags=["placements"], summary="One placement", openapi_extra=PERSONAL
)
async def get_placement(placement_id: UUID, store: StoreDep) -> Placement:
    return await store.existing(Placement, placement_id)


@router.post(
    "/placements/{placement_id}/end", tags=["placements"], summary="End a placement", openapi_extra=PERSONAL
)
async def end_placement(placement_id: UUID, data: PlacementEnd, store: StoreDep) -> Placement:
    return await handlers.end_placement(store, placement_id, data)


@router.post(
    "/placements/{placement_id}/language-mentor",
    tags=["placements"],
    summary="Ask volunteers for a language mentor for this placement",
    openapi_extra=PERSONAL,
)
async def request_language_mentor(placement_id: UUID, languages: Languages, store: StoreDep) -> Placement:
    return await handlers.request_language_mentor(store, placement_id, languages)


@router.post(
    "/cases/{newcomer_id}/follow-ups",
    status_code=201,
    tags=["follow-up"],
    summary="Record a follow-up",
    openapi_extra=PERSONAL,
)
async def record_follow_up(newcomer_id: UUID, data: FollowUpCreate, store: StoreDep) -> FollowUp:
    return await handlers.record_follow_up(store, newcomer_id, data)


@router.get(
    "/cases/{newcomer_id}/follow-ups", tags=["follow-up"], summary="Follow-ups held", openapi_extra=PERSONAL
)
async def follow_ups_of(newcomer_id: UUID, store: StoreDep) -> list[FollowUp]:
    await store.existing(Case, newcomer_id)
    return await store.follow_ups_of(newcomer_id)


@router.get(
    "/cases/{newcomer_id}/follow-up-compliance",
    tags=["follow-up"],
    summary="Denmark's 4-in-6-months rule",
    openapi_extra=PERSONAL,
)
async def follow_up_compliance(newcomer_id: UUID, store: StoreDep) -> FollowUpCompliance:
    return await handlers.compliance(store, await store.existing(Case, newcomer_id), date.today())
