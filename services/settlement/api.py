"""The settlement officers' HTTP API."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request

from shared.contracts.events.settlement import ConsentPurpose
from shared.service import service_of, store_dependency
from shared.web.audit import NOT_PERSONAL, PERSONAL
from shared.web.auth import Role, require_role
from shared.web.pagination import Page, PaginationDep

from . import handlers
from .config import SettlementSettings
from .handlers.settle import SpreadGuard
from .models import (
    AccessLogLine,
    ConsentGive,
    ConsentPublic,
    DepartureCreate,
    DistrictReport,
    ErasureCreate,
    ErasureStatus,
    Handover,
    HandoverAccept,
    HandoverComplete,
    HandoverCreate,
    HandoverDecline,
    HealthAssessmentOffer,
    Household,
    HouseholdCreate,
    HouseholdPublic,
    IntegrationPlan,
    IntegrationPlanSet,
    LegalDates,
    MemberAdd,
    MemberPublic,
    Municipality,
    MunicipalityCreate,
    Newcomer,
    NewcomerCreate,
    NewcomerPublic,
    NewcomerStatus,
    NewcomerUpdate,
    Quota,
    QuotaLine,
    QuotaSet,
    SettlementCreate,
    public,
)
from .store import SettlementStore

StoreDep = Annotated[SettlementStore, store_dependency(SettlementStore)]


async def _spread_guard(request: Request) -> SpreadGuard:
    settings: SettlementSettings = service_of(request.app).settings
    return SpreadGuard(settings.district_max_share, settings.district_guard_min_settlements)


GuardDep = Annotated[SpreadGuard, Depends(_spread_guard)]
Year = Annotated[int, Query(ge=2000, le=2100)]

router = APIRouter(dependencies=[require_role(Role.STAFF)])


async def _public(store: SettlementStore, newcomer: Newcomer) -> NewcomerPublic:
    return public(newcomer, await store.consents_in_force(newcomer.id))


# municipalities, quotas, reports


@router.post(
    "/municipalities",
    status_code=201,
    tags=["municipalities"],
    summary="Add a municipality",
    openapi_extra=NOT_PERSONAL,
)
async def create_municipality(data: MunicipalityCreate, store: StoreDep) -> Municipality:
    return await handlers.create_municipality(store, data)


@router.get(
    "/municipalities", tags=["municipalities"], summary="All municipalities", openapi_extra=NOT_PERSONAL
)
async def list_municipalities(store: StoreDep) -> list[Municipality]:
    return await store.list_municipalities()


@router.get(
    "/municipalities/{code}", tags=["municipalities"], summary="One municipality", openapi_extra=NOT_PERSONAL
)
async def get_municipality(code: str, store: StoreDep) -> Municipality:
    municipality = await store.existing(Municipality, code)
    return municipality


@router.put(
    "/municipalities/{code}/quotas/{year}",
    tags=["municipalities"],
    summary="Set the year's settlement request (quota)",
    openapi_extra=NOT_PERSONAL,
)
async def set_quota(
    code: str, year: Annotated[int, Path(ge=2000, le=2100)], data: QuotaSet, store: StoreDep
) -> Quota:
    return await handlers.set_quota(store, code, year, data)


@router.get(
    "/reports/quotas",
    tags=["reports"],
    summary="Requested vs settled per municipality",
    openapi_extra=NOT_PERSONAL,
)
async def quota_report(year: Year, store: StoreDep) -> list[QuotaLine]:
    return await handlers.quota_report(store, year)


@router.get(
    "/reports/districts/{code}",
    tags=["reports"],
    summary="Settlements spread over a municipality",
    openapi_extra=NOT_PERSONAL,
)
async def district_report(code: str, year: Year, store: StoreDep, guard: GuardDep) -> DistrictReport:
    return await handlers.district_report(store, code, year, guard)


# the register


@router.post(
    "/newcomers", status_code=201, tags=["newcomers"], summary="Register a newcomer", openapi_extra=PERSONAL
)
async def register_newcomer(data: NewcomerCreate, store: StoreDep) -> NewcomerPublic:
    return await _public(store, await handlers.register_newcomer(store, data))


@router.get(
    "/newcomers",
    tags=["newcomers"],
    summary="Search newcomers, filtered and paginated",
    openapi_extra=PERSONAL,
)
async def list_newcomers(
    store: StoreDep,
    pagination: PaginationDep,
    status: NewcomerStatus | None = None,
    municipality_code: str | None = None,
    district: str | None = None,
    name: Annotated[str | None, Query(min_length=2, description="Part of a given or family name")] = None,
) -> Page[NewcomerPublic]:
    items, total = await store.list_newcomers(
        status=status,
        municipality_code=municipality_code,
        district=district,
        name=name,
        limit=pagination.limit,
        offset=pagination.offset,
    )
    return pagination.page([await _public(store, n) for n in items], total)


@router.get("/newcomers/{newcomer_id}", tags=["newcomers"], summary="One newcomer", openapi_extra=PERSONAL)
async def get_newcomer(newcomer_id: UUID, store: StoreDep) -> NewcomerPublic:
    newcomer = await store.existing(Newcomer, newcomer_id)
    return await _public(store, newcomer)


@router.patch(
    "/newcomers/{newcomer_id}", tags=["newcomers"], summary="Correct personal details", openapi_extra=PERSONAL
)
async def update_newcomer(newcomer_id: UUID, data: NewcomerUpdate, store: StoreDep) -> NewcomerPublic:
    return await _public(store, await handlers.update_newcomer(store, newcomer_id, data))


@router.post(
    "/newcomers/{newcomer_id}/settlement",
    tags=["settlement"],
    summary="Settle a newcomer in a municipality",
    openapi_extra=PERSONAL,
)
async def settle_newcomer(
    newcomer_id: UUID, data: SettlementCreate, store: StoreDep, guard: GuardDep
) -> NewcomerPublic:
    return await _public(store, await handlers.settle_newcomer(store, newcomer_id, data, guard))


@router.post(
    "/newcomers/{newcomer_id}/departure",
    tags=["settlement"],
    summary="Close the settlement",
    openapi_extra=PERSONAL,
)
async def depart(newcomer_id: UUID, data: DepartureCreate, store: StoreDep) -> NewcomerPublic:
    return await _public(store, await handlers.depart(store, newcomer_id, data))


@router.put(
    "/newcomers/{newcomer_id}/integration-plan",
    tags=["settlement"],
    summary="Agree the plan",
    openapi_extra=PERSONAL,
)
async def agree_integration_plan(
    newcomer_id: UUID, data: IntegrationPlanSet, store: StoreDep
) -> IntegrationPlan:
    return await handlers.agree_integration_plan(store, newcomer_id, data)


@router.get(
    "/newcomers/{newcomer_id}/integration-plan",
    tags=["settlement"],
    summary="The agreed plan",
    openapi_extra=PERSONAL,
)
async def get_integration_plan(newcomer_id: UUID, store: StoreDep) -> IntegrationPlan:
    plan = await store.existing(IntegrationPlan, newcomer_id)
    return plan


@router.post(
    "/newcomers/{newcomer_id}/legal-dates",
    tags=["settlement"],
    summary="Record the dates the law counts from, after the settlement (visitation, CPR, early takeover)",
    openapi_extra=PERSONAL,
)
async def record_legal_dates(newcomer_id: UUID, data: LegalDates, store: StoreDep) -> LegalDates:
    return await handlers.record_legal_dates(store, newcomer_id, data)


@router.post(
    "/newcomers/{newcomer_id}/health-assessment-offer",
    tags=["settlement"],
    summary="Record that a health assessment was offered",
    openapi_extra=PERSONAL,
)
async def offer_health_assessment(
    newcomer_id: UUID, data: HealthAssessmentOffer, store: StoreDep
) -> HealthAssessmentOffer:
    return await handlers.offer_health_assessment(store, newcomer_id, data)


# consent


@router.get(
    "/newcomers/{newcomer_id}/consents",
    tags=["consent"],
    summary="Consents given and withdrawn",
    openapi_extra=PERSONAL,
)
async def consent_history(newcomer_id: UUID, store: StoreDep) -> list[ConsentPublic]:
    await get_newcomer(newcomer_id, store)
    return [ConsentPublic.model_validate(c) for c in await store.consent_history(newcomer_id)]


@router.post(
    "/newcomers/{newcomer_id}/erasure",
    status_code=202,
    tags=["privacy"],
    summary="Erase what identifies the person, in every agency, on a legal ground",
    openapi_extra=PERSONAL,
)
async def request_erasure(newcomer_id: UUID, data: ErasureCreate, store: StoreDep) -> ErasureStatus:
    return await handlers.request_erasure(store, newcomer_id, data)


@router.get(
    "/newcomers/{newcomer_id}/erasure",
    tags=["privacy"],
    summary="The erasure's progress and each agency's proof",
    openapi_extra=PERSONAL,
)
async def erasure_status(newcomer_id: UUID, store: StoreDep) -> ErasureStatus:
    return await handlers.erasure_status(store, newcomer_id)


@router.get(
    "/newcomers/{newcomer_id}/access-log",
    tags=["privacy"],
    summary="The person's access log: which agency looked at their data, when and why",
    openapi_extra=PERSONAL,
)
async def access_log(newcomer_id: UUID, store: StoreDep, pagination: PaginationDep) -> Page[AccessLogLine]:
    lines, total = await handlers.access_log(
        store, newcomer_id, limit=pagination.limit, offset=pagination.offset
    )
    return pagination.page(lines, total)


@router.post(
    "/newcomers/{newcomer_id}/consents",
    status_code=201,
    tags=["consent"],
    summary="Give consent",
    openapi_extra=PERSONAL,
)
async def give_consent(newcomer_id: UUID, data: ConsentGive, store: StoreDep) -> ConsentPublic:
    return ConsentPublic.model_validate(await handlers.give_consent(store, newcomer_id, data.purpose))


@router.delete(
    "/newcomers/{newcomer_id}/consents/{purpose}",
    tags=["consent"],
    summary="Withdraw consent",
    openapi_extra=PERSONAL,
)
async def withdraw_consent(newcomer_id: UUID, purpose: ConsentPurpose, store: StoreDep) -> ConsentPublic:
    return ConsentPublic.model_validate(await handlers.withdraw_consent(store, newcomer_id, purpose))


# households


async def _household(store: SettlementStore, household: Household) -> HouseholdPublic:
    members = await store.household_members(household.id)
    return HouseholdPublic(
        id=household.id,
        created_at=household.created_at,
        members=[
            MemberPublic(
                newcomer_id=m.id,
                relation=m.household_relation,
                age_group=m.age_group_on(m.settled_on or date.today()),
                status=m.status,
            )
            for m in members
        ],
    )


@router.post(
    "/households", status_code=201, tags=["households"], summary="Form a household", openapi_extra=PERSONAL
)
async def create_household(data: HouseholdCreate, store: StoreDep) -> HouseholdPublic:
    return await _household(store, await handlers.create_household(store, data))


@router.get(
    "/households/{household_id}",
    tags=["households"],
    summary="A household and its members",
    openapi_extra=PERSONAL,
)
async def get_household(household_id: UUID, store: StoreDep) -> HouseholdPublic:
    household = await store.existing(Household, household_id)
    return await _household(store, household)


@router.post(
    "/households/{household_id}/members",
    tags=["households"],
    summary="Add a member, e.g. a relative arriving through family reunification",
    openapi_extra=PERSONAL,
)
async def add_household_member(household_id: UUID, data: MemberAdd, store: StoreDep) -> HouseholdPublic:
    return await _household(store, await handlers.add_household_member(store, household_id, data))


# handover between municipalities


@router.post(
    "/newcomers/{newcomer_id}/handovers",
    status_code=201,
    tags=["handover"],
    summary="Request a handover",
    openapi_extra=PERSONAL,
)
async def request_handover(newcomer_id: UUID, data: HandoverCreate, store: StoreDep) -> Handover:
    return await handlers.request_handover(store, newcomer_id, data)


@router.get(
    "/newcomers/{newcomer_id}/handovers",
    tags=["handover"],
    summary="A newcomer's handovers",
    openapi_extra=PERSONAL,
)
async def handovers_of(newcomer_id: UUID, store: StoreDep) -> list[Handover]:
    await get_newcomer(newcomer_id, store)
    return await store.handovers_of(newcomer_id)


@router.get("/handovers/{handover_id}", tags=["handover"], summary="One handover", openapi_extra=PERSONAL)
async def get_handover(handover_id: UUID, store: StoreDep) -> Handover:
    handover = await store.existing(Handover, handover_id)
    return handover


@router.post(
    "/handovers/{handover_id}/accept",
    tags=["handover"],
    summary="The receiver accepts",
    openapi_extra=PERSONAL,
)
async def accept_handover(handover_id: UUID, data: HandoverAccept, store: StoreDep) -> Handover:
    return await handlers.accept_handover(store, handover_id, data)


@router.post(
    "/handovers/{handover_id}/reject",
    tags=["handover"],
    summary="The receiver rejects",
    openapi_extra=PERSONAL,
)
async def reject_handover(handover_id: UUID, data: HandoverDecline, store: StoreDep) -> Handover:
    return await handlers.reject_handover(store, handover_id, data.reason)


@router.post(
    "/handovers/{handover_id}/complete", tags=["handover"], summary="The move is done", openapi_extra=PERSONAL
)
async def complete_handover(handover_id: UUID, data: HandoverComplete, store: StoreDep) -> Handover:
    return await handlers.complete_handover(store, handover_id, data)


@router.post(
    "/handovers/{handover_id}/revoke",
    tags=["handover"],
    summary="Call the handover off",
    openapi_extra=PERSONAL,
)
async def revoke_handover(handover_id: UUID, data: HandoverDecline, store: StoreDep) -> Handover:
    return await handlers.revoke_handover(store, handover_id, data.reason)
