"""The job centre's pages: its cases, and on each the competence mapping, placements with a
professional mentor, and follow-ups with the count the law asks for."""

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from shared.web.audit import PERSONAL
from shared.web.auth import Role
from shared.web.staff.api import Api, ApiProblem, form_number
from shared.web.staff.render import N_, AgencyPages, render
from shared.web.staff.session import CheckedForm, Staff, StaffSession

router = APIRouter(prefix="/app", include_in_schema=False)

NAVIGATION = [
    ("/app/cases", N_("Cases"), {Role.STAFF, Role.AUDITOR}),
    ("/app/worklist", N_("Worklist"), {Role.STAFF, Role.AUDITOR}),
]
CASE_STATUSES = {"open": N_("open"), "closed": N_("closed")}
EDUCATION_LEVELS = {
    "none": N_("no schooling"),
    "primary": N_("primary school"),
    "secondary": N_("secondary school"),
    "vocational": N_("vocational"),
    "higher": N_("higher education"),
    "unknown": N_("not known"),
}
PLACEMENT_KINDS = {
    "work_practice": N_("work practice"),
    "apprenticeship": N_("apprenticeship"),
    "igu": N_("IGU (basic integration education)"),
    "subsidised_job": N_("job with wage subsidy"),
    "ordinary_job": N_("ordinary job"),
    "entrepreneurship_course": N_("entrepreneurship course"),
    "job_search_course": N_("job search course"),
}
FOLLOW_UP_KINDS = {
    "meeting": N_("meeting"),
    "phone": N_("phone"),
    "video": N_("video"),
    "workplace_visit": N_("workplace visit"),
}
COMPLIANCE = {
    "not_applicable": N_("no count required"),
    "met": N_("met"),
    "on_track": N_("on track"),
    "behind": N_("behind"),
    "breached": N_("breached"),
}
TITLES: dict[str, Any] = {
    "case_statuses": CASE_STATUSES,
    "education_levels": EDUCATION_LEVELS,
    "placement_kinds": PLACEMENT_KINDS,
    "follow_up_kinds": FOLLOW_UP_KINDS,
    "compliance": COMPLIANCE,
}


@router.get("/cases", openapi_extra=PERSONAL)
async def cases(
    request: Request, staff: Staff, status: Annotated[str, Query(pattern="^(open|closed|)$")] = "open"
) -> Response:
    found = await Api(request, staff).get("/cases", status=status or None, limit=100)
    today = date.today().isoformat()
    return render(request, "employment/cases.html", found=found, status=status, today_iso=today, **TITLES)


@router.get("/cases/{newcomer_id}", openapi_extra=PERSONAL)
async def case(request: Request, staff: Staff, newcomer_id: UUID) -> Response:
    return await _case_page(request, Api(request, staff), newcomer_id)


@router.post("/cases/{newcomer_id}/mapping", openapi_extra=PERSONAL)
async def mapping(
    request: Request,
    staff: CheckedForm,
    newcomer_id: UUID,
    education_level: Annotated[str, Form()] = "",
    occupation_code: Annotated[str, Form()] = "",
    years: Annotated[str, Form()] = "",
    driving_licence: Annotated[bool, Form()] = False,
    entrepreneurial_experience: Annotated[bool, Form()] = False,
    completed_on: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "education_level": education_level,
        "occupation_code": occupation_code,
        "years": years,
        "completed_on": completed_on,
        "driving_licence": driving_licence,
        "entrepreneurial_experience": entrepreneurial_experience,
    }
    body: dict[str, Any] = {
        "education_level": education_level,
        "driving_licence": driving_licence,
        "entrepreneurial_experience": entrepreneurial_experience,
        "completed_on": completed_on,
        "work_experience": [{"occupation_code": occupation_code, "years": form_number(years)}]
        if occupation_code or years
        else [],
    }
    return await _act(request, staff, newcomer_id, "PUT", "mapping", body, form)


@router.post("/cases/{newcomer_id}/placements", openapi_extra=PERSONAL)
async def placement(
    request: Request,
    staff: CheckedForm,
    newcomer_id: UUID,
    employer_id: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    starts_on: Annotated[str, Form()] = "",
    ends_on: Annotated[str, Form()] = "",
    hours_per_week: Annotated[str, Form()] = "",
    professional_mentor: Annotated[str, Form()] = "",
    language_learning_at_work: Annotated[bool, Form()] = False,
) -> Response:
    form = {
        "employer_id": employer_id,
        "kind": kind,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "hours_per_week": hours_per_week,
        "professional_mentor": professional_mentor,
        "language_learning_at_work": language_learning_at_work,
    }
    body = {**form, "hours_per_week": form_number(hours_per_week)}
    return await _act(request, staff, newcomer_id, "POST", "placements", _filled(body), form)


@router.post("/cases/{newcomer_id}/follow-ups", openapi_extra=PERSONAL)
async def follow_up(
    request: Request,
    staff: CheckedForm,
    newcomer_id: UUID,
    held_on: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    form = {"held_on": held_on, "kind": kind, "note": note}
    return await _act(request, staff, newcomer_id, "POST", "follow-ups", _filled(form), form)


def _filled(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value not in ("", None)}


async def _act(
    request: Request,
    staff: StaffSession,
    newcomer_id: UUID,
    method: str,
    path: str,
    body: dict[str, Any],
    form: dict[str, Any],
) -> Response:
    api = Api(request, staff)
    try:
        await api.call(method, f"/cases/{newcomer_id}/{path}", json=body)
    except ApiProblem as refused:
        general, errors = refused.messages(request)
        return await _case_page(
            request,
            api,
            newcomer_id,
            status_code=refused.status,
            which=path,
            form=form,
            errors=errors,
            general=general,
        )
    return RedirectResponse(f"/app/cases/{newcomer_id}#{path}", status_code=303)


async def _case_page(
    request: Request,
    api: Api,
    newcomer_id: UUID,
    *,
    status_code: int = 200,
    which: str = "",
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
) -> Response:
    found = await api.get(f"/cases/{newcomer_id}")
    mapped = await api.get(f"/cases/{newcomer_id}/mapping") if found["mapping_completed"] else None
    employers = (await api.get("/employers", municipality_code=found["municipality_code"], limit=100))[
        "items"
    ]
    today = date.today()
    return render(
        request,
        "employment/case.html",
        status_code=status_code,
        case=found,
        mapping=mapped,
        placements=await api.get(f"/cases/{newcomer_id}/placements"),
        follow_ups=await api.get(f"/cases/{newcomer_id}/follow-ups"),
        employers={e["id"]: e["name"] for e in employers},
        which=which,
        form=form or {},
        errors=errors or {},
        general=general or [],
        today=today.isoformat(),
        in_three_months=(today + timedelta(days=91)).isoformat(),
        **TITLES,
    )


PAGES = AgencyPages(
    router=router,
    navigation=NAVIGATION,
    templates=Path(__file__).parent / "templates",
    newcomer_link="/app/cases/",
)
