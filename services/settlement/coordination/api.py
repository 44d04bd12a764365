"""The coordinator's view across agencies, for settlement tokens with the coordinator role."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse

from shared.contracts.agencies import Agency
from shared.domain.inputs import IsoDate
from shared.service import store_dependency
from shared.web.audit import NOT_PERSONAL, PERSONAL
from shared.web.auth import Role, require_role

from ..models import JourneyEntryPublic
from ..store import SettlementStore
from . import Clock, ClockStatus, Gap, GapKind, KpiReport, RuleSet, handlers
from .grant import GrantLine, GrantReport
from .tasks import AgencyTask

StoreDep = Annotated[SettlementStore, store_dependency(SettlementStore)]

router = APIRouter(
    prefix="/coordination", tags=["coordination"], dependencies=[require_role(Role.COORDINATOR)]
)


async def _coordination(request: Request) -> handlers.Coordination:
    return request.app.state.coordination  # type: ignore[no-any-return]


CoordinationDep = Annotated[handlers.Coordination, Depends(_coordination)]
AsOf = Annotated[IsoDate | None, Query(description="The day to evaluate on; today if left out")]


@router.get(
    "/newcomers/{newcomer_id}/journey",
    summary="Every agency's events about a newcomer, in order: who did what, and when",
    openapi_extra=PERSONAL,
)
async def journey(newcomer_id: UUID, store: StoreDep) -> list[JourneyEntryPublic]:
    return [JourneyEntryPublic.model_validate(e) for e in await handlers.journey_of(store, newcomer_id)]


@router.get(
    "/newcomers/{newcomer_id}/clocks", summary="A newcomer's statutory clocks", openapi_extra=PERSONAL
)
async def clocks_of_newcomer(
    newcomer_id: UUID, store: StoreDep, coordination: CoordinationDep, as_of: AsOf = None
) -> list[Clock]:
    return await handlers.clocks(store, coordination, as_of=as_of or date.today(), newcomer_id=newcomer_id)


@router.get(
    "/clocks",
    summary="Statutory clocks, e.g. at risk or breached, per agency",
    description="`status=at_risk&status=overdue` lists those due soon or late but within their limit; "
    "`status=breached` those past it.",
    openapi_extra=PERSONAL,
)
async def list_clocks(
    store: StoreDep,
    coordination: CoordinationDep,
    as_of: AsOf = None,
    agency: Agency | None = None,
    status: Annotated[list[ClockStatus] | None, Query()] = None,
    municipality_code: str | None = None,
) -> list[Clock]:
    return await handlers.clocks(
        store,
        coordination,
        as_of=as_of or date.today(),
        agency=agency,
        statuses=status or (),
        municipality_code=municipality_code,
    )


@router.get("/gaps", summary="Registration gaps between agencies, per agency", openapi_extra=PERSONAL)
async def list_gaps(
    store: StoreDep,
    coordination: CoordinationDep,
    as_of: AsOf = None,
    agency: Agency | None = None,
    kind: GapKind | None = None,
    municipality_code: str | None = None,
) -> list[Gap]:
    return await handlers.gaps(
        store,
        coordination,
        as_of=as_of or date.today(),
        agency=agency,
        kind=kind,
        municipality_code=municipality_code,
    )


@router.get(
    "/newcomers/{newcomer_id}/tasks",
    summary="The newcomer's tasks in every agency: kind, status, due date, whether someone holds it",
    openapi_extra=PERSONAL,
)
async def tasks_of_newcomer(newcomer_id: UUID, store: StoreDep, as_of: AsOf = None) -> list[AgencyTask]:
    return await handlers.agency_tasks(store, as_of=as_of or date.today(), newcomer_id=newcomer_id)


@router.get(
    "/tasks",
    summary="Every agency's open tasks, soonest due first",
    description="From each agency's `task.changed` events: never a task's title, nor who holds it.",
    openapi_extra=PERSONAL,
)
async def list_open_tasks(
    store: StoreDep, as_of: AsOf = None, agency: Agency | None = None, municipality_code: str | None = None
) -> list[AgencyTask]:
    return await handlers.agency_tasks(
        store, as_of=as_of or date.today(), agency=agency, municipality_code=municipality_code
    )


@router.get(
    "/newcomers/{newcomer_id}/grant",
    summary="The integration grant the newcomer earns, year by year: the ledger",
    description="Started by the settlement, moved by each handover, stopped by the departure; years to "
    "come are expected amounts at the latest rates the rule file knows (`estimated`).",
    openapi_extra=PERSONAL,
)
async def grant_of_newcomer(
    newcomer_id: UUID, store: StoreDep, coordination: CoordinationDep
) -> list[GrantLine]:
    return await handlers.grant_of(store, coordination, newcomer_id)


# The CSV routes first: `{year}` alone would also match "2025.csv".
@router.get(
    "/grants/{code}/{year}.csv",
    summary="The integration grant a municipality is expected to receive in a year (CSV)",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/csv": {}}}},
    openapi_extra=NOT_PERSONAL,
)
async def grant_figures_csv(
    code: str, year: Annotated[int, Path(ge=2000, le=2100)], store: StoreDep, coordination: CoordinationDep
) -> PlainTextResponse:
    report = await handlers.grant_figures(store, coordination, municipality_code=code, year=year)
    return PlainTextResponse(
        report.csv(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="samvirke-grant-{code}-{year}.csv"'},
    )


@router.get(
    "/grants/{code}/{year}",
    summary="The integration grant a municipality is expected to receive in a year, by arrival year (JSON)",
    openapi_extra=NOT_PERSONAL,
)
async def grant_figures(
    code: str, year: Annotated[int, Path(ge=2000, le=2100)], store: StoreDep, coordination: CoordinationDep
) -> GrantReport:
    return await handlers.grant_figures(store, coordination, municipality_code=code, year=year)


@router.get(
    "/kpis/{code}/{year}.csv",
    summary="Key figures of a municipality's year (CSV)",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/csv": {}}}},
    openapi_extra=NOT_PERSONAL,
)
async def key_figures_csv(
    code: str,
    year: Annotated[int, Path(ge=2000, le=2100)],
    store: StoreDep,
    coordination: CoordinationDep,
    as_of: AsOf = None,
) -> PlainTextResponse:
    report = await handlers.key_figures(
        store, coordination, municipality_code=code, year=year, as_of=as_of or date.today()
    )
    return PlainTextResponse(
        report.csv(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="samvirke-kpis-{code}-{year}.csv"'},
    )


@router.get(
    "/kpis/{code}/{year}", summary="Key figures of a municipality's year (JSON)", openapi_extra=NOT_PERSONAL
)
async def key_figures(
    code: str,
    year: Annotated[int, Path(ge=2000, le=2100)],
    store: StoreDep,
    coordination: CoordinationDep,
    as_of: AsOf = None,
) -> KpiReport:
    return await handlers.key_figures(
        store, coordination, municipality_code=code, year=year, as_of=as_of or date.today()
    )


@router.get(
    "/rules", summary="The statutory clock rule sets in force, per country", openapi_extra=NOT_PERSONAL
)
async def rules(coordination: CoordinationDep) -> list[RuleSet]:
    return list(coordination.rule_sets.values())


@router.post(
    "/sweeps",
    summary="Publish clock breaches and gaps found today (the service also does this on a schedule)",
    openapi_extra=PERSONAL,
)
async def sweep(store: StoreDep, coordination: CoordinationDep) -> handlers.SweepReport:
    return await handlers.sweep(store, coordination, date.today())
