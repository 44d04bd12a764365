"""The refugee office's pages: the coordinator's dashboard, a newcomer's journey, the register.

Each page asks this service's own API with the staff member's token, so it
shows what the token admits and nothing more: the coordinator sees the
figures, clocks, gaps and tasks of their municipalities, and names only where
the register (the staff role) would show them.
"""

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from shared.web.audit import PERSONAL
from shared.web.auth import Role
from shared.web.staff.api import Api, ApiProblem
from shared.web.staff.render import N_, AgencyPages, render
from shared.web.staff.session import CheckedForm, Staff, StaffSession

router = APIRouter(prefix="/app", include_in_schema=False)

NAVIGATION = [
    ("/app/dashboard", N_("Dashboard"), {Role.COORDINATOR}),
    ("/app/newcomers", N_("Newcomers"), {Role.STAFF, Role.AUDITOR}),
    ("/app/worklist", N_("Worklist"), {Role.STAFF, Role.AUDITOR}),
]
AGENCIES = ("settlement", "education", "employment", "volunteering")
ARRIVAL_ROUTES = ("resettlement", "asylum", "family_reunification")
HANDOVER_STATUSES = {
    "requested": N_("requested"),
    "accepted": N_("accepted"),
    "rejected": N_("rejected"),
    "completed": N_("completed"),
    "revoked": N_("called off"),
}


def home(staff: StaffSession) -> str:
    return "/app/dashboard" if staff.principal.role == Role.COORDINATOR else "/app/worklist"


@router.get("/dashboard", openapi_extra=PERSONAL)
async def dashboard(
    request: Request,
    staff: Staff,
    municipality: Annotated[str | None, Query(pattern=r"^[0-9]{3,4}$")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    api = Api(request, staff)
    year = year or date.today().year
    # A coordinator of several municipalities chooses one; by default the first the register knows.
    municipalities = sorted(staff.principal.municipalities)
    chosen = [municipality] if municipality in municipalities else municipalities
    kpis = code = None
    for candidate in chosen:
        try:
            kpis = await api.get(f"/coordination/kpis/{candidate}/{year}")
        except ApiProblem as refused:
            if refused.status != 404:
                raise
            continue
        code = candidate
        break
    if kpis is None:
        return render(
            request,
            "settlement/dashboard.html",
            kpis=None,
            code=municipality,
            year=year,
            municipalities=municipalities,
        )
    clocks = await api.get(
        "/coordination/clocks", municipality_code=code, status=["at_risk", "overdue", "breached"]
    )
    gaps = await api.get("/coordination/gaps", municipality_code=code)
    tasks = await api.get("/coordination/tasks", municipality_code=code)
    by_agency = {
        agency: {
            "at_risk": sum(
                1 for c in clocks if c["agency"] == agency and c["status"] in ("at_risk", "overdue")
            ),
            "breached": sum(1 for c in clocks if c["agency"] == agency and c["status"] == "breached"),
            "gaps": sum(1 for g in gaps if g["agency"] == agency),
            "tasks": sum(1 for t in tasks if t["agency"] == agency),
        }
        for agency in AGENCIES
    }
    return render(
        request,
        "settlement/dashboard.html",
        kpis=kpis,
        code=code,
        year=year,
        municipalities=municipalities,
        by_agency=by_agency,
        breached=[c for c in clocks if c["status"] == "breached"][:50],
        gaps=gaps[:50],
        gap_kinds=Counter(g["kind"] for g in gaps),
    )


@router.get("/newcomers/{newcomer_id}", openapi_extra=PERSONAL)
async def newcomer(request: Request, staff: Staff, newcomer_id: UUID) -> Response:
    return await _newcomer_page(request, Api(request, staff), staff, newcomer_id)


@router.post("/newcomers/{newcomer_id}/settlement", openapi_extra=PERSONAL)
async def settle(
    request: Request,
    staff: CheckedForm,
    newcomer_id: UUID,
    municipality_code: Annotated[str, Form()] = "",
    district: Annotated[str, Form()] = "",
    settled_on: Annotated[str, Form()] = "",
    override_reason: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "municipality_code": municipality_code,
        "district": district,
        "settled_on": settled_on,
        "override_reason": override_reason,
    }
    return await _act(request, staff, newcomer_id, f"/newcomers/{newcomer_id}/settlement", form, "settlement")


@router.post("/newcomers/{newcomer_id}/handovers", openapi_extra=PERSONAL)
async def request_handover(
    request: Request,
    staff: CheckedForm,
    newcomer_id: UUID,
    to_municipality_code: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    form = {"to_municipality_code": to_municipality_code, "reason": reason}
    return await _act(request, staff, newcomer_id, f"/newcomers/{newcomer_id}/handovers", form, "handover")


@router.post("/newcomers/{newcomer_id}/handovers/{handover_id}/{step}", openapi_extra=PERSONAL)
async def handover_step(
    request: Request,
    staff: CheckedForm,
    newcomer_id: UUID,
    handover_id: UUID,
    step: str,
    to_district: Annotated[str, Form()] = "",
    completed_on: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    bodies = {
        "accept": {"to_district": to_district},
        "complete": {"completed_on": completed_on},
        "reject": {"reason": reason},
        "revoke": {"reason": reason},
    }
    if step not in bodies:
        return render(request, "error.html", status_code=404, problem="not-found")
    form = {"to_district": to_district, "completed_on": completed_on, "reason": reason}
    return await _act(
        request,
        staff,
        newcomer_id,
        f"/handovers/{handover_id}/{step}",
        form,
        f"{step}-{handover_id}",
        bodies[step],
    )


async def _act(
    request: Request,
    staff: StaffSession,
    newcomer_id: UUID,
    path: str,
    form: dict[str, str],
    which: str,
    body: dict[str, str] | None = None,
) -> Response:
    api = Api(request, staff)
    try:
        await api.post(path, {k: v for k, v in (form if body is None else body).items() if v})
    except ApiProblem as refused:
        general, errors = refused.messages(request)
        return await _newcomer_page(
            request,
            api,
            staff,
            newcomer_id,
            status_code=refused.status,
            which=which,
            form=form,
            errors=errors,
            general=general,
        )
    return RedirectResponse(f"/app/newcomers/{newcomer_id}", status_code=303)


async def _newcomer_page(
    request: Request,
    api: Api,
    staff: StaffSession,
    newcomer_id: UUID,
    *,
    status_code: int = 200,
    which: str = "",
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
) -> Response:
    coordinator = staff.principal.role == Role.COORDINATOR
    person = handovers = None
    if not coordinator:  # the register is the officers'; the coordinator sees the journey by its id
        person = await api.get(f"/newcomers/{newcomer_id}")
        handovers = await api.get(f"/newcomers/{newcomer_id}/handovers")
    journey = clocks = tasks = None
    if coordinator:
        journey = await api.get(f"/coordination/newcomers/{newcomer_id}/journey")
        clocks = await api.get(f"/coordination/newcomers/{newcomer_id}/clocks")
        tasks = await api.get(f"/coordination/newcomers/{newcomer_id}/tasks")
    return render(
        request,
        "settlement/newcomer.html",
        status_code=status_code,
        newcomer_id=newcomer_id,
        person=person,
        handovers=handovers,
        journey=journey,
        clocks=clocks,
        tasks=tasks,
        which=which,
        form=form or {},
        errors=errors or {},
        general=general or [],
        today=date.today().isoformat(),
        handover_titles=HANDOVER_STATUSES,
    )


@router.get("/newcomers", openapi_extra=PERSONAL)
async def newcomers(
    request: Request,
    staff: Staff,
    name: Annotated[str, Query(max_length=100)] = "",
    status: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    found = await Api(request, staff).get(
        "/newcomers", name=name if len(name) >= 2 else None, status=status or None, limit=100
    )
    return render(
        request,
        "settlement/newcomers.html",
        found=found,
        name=name,
        status=status,
        arrival_routes=ARRIVAL_ROUTES,
        form={},
        errors={},
        general=[],
    )


@router.post("/newcomers", openapi_extra=PERSONAL)
async def register(
    request: Request,
    staff: CheckedForm,
    given_name: Annotated[str, Form()] = "",
    family_name: Annotated[str, Form()] = "",
    birth_date: Annotated[str, Form()] = "",
    sex: Annotated[str, Form()] = "",
    country_of_origin: Annotated[str, Form()] = "",
    arrival_route: Annotated[str, Form()] = "",
    languages: Annotated[str, Form()] = "",
    registered_in: Annotated[str, Form()] = "",
) -> Response:
    form: dict[str, Any] = {
        "registered_in": registered_in,
        "given_name": given_name,
        "family_name": family_name,
        "birth_date": birth_date,
        "sex": sex,
        "country_of_origin": country_of_origin,
        "arrival_route": arrival_route,
        "languages": [code.strip() for code in languages.split(",") if code.strip()],
    }
    body = {key: value for key, value in form.items() if value not in ("", [])}
    api = Api(request, staff)
    try:
        created = await api.post("/newcomers", body)
    except ApiProblem as refused:
        general, errors = refused.messages(request)
        found = await api.get("/newcomers", limit=100)
        return render(
            request,
            "settlement/newcomers.html",
            status_code=refused.status,
            found=found,
            name="",
            status="",
            arrival_routes=ARRIVAL_ROUTES,
            form={**form, "languages": languages},
            errors=errors,
            general=general,
        )
    return RedirectResponse(f"/app/newcomers/{created['id']}", status_code=303)


PAGES = AgencyPages(
    router=router,
    navigation=NAVIGATION,
    templates=Path(__file__).parent / "templates",
    home=home,
    newcomer_link="/app/newcomers/",
)
