"""The language school's pages: its courses with a whole session's attendance at once, its learners
with their tests, and placing a learner in a chosen course."""

from datetime import date
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from shared.web.audit import PERSONAL
from shared.web.auth import Role
from shared.web.staff.api import Api, ApiProblem, form_number
from shared.web.staff.render import N_, AgencyPages, render
from shared.web.staff.session import CheckedForm, Staff

router = APIRouter(prefix="/app", include_in_schema=False)

NAVIGATION = [
    ("/app/courses", N_("Courses"), {Role.STAFF, Role.AUDITOR}),
    ("/app/learners", N_("Learners"), {Role.STAFF, Role.AUDITOR}),
    ("/app/worklist", N_("Worklist"), {Role.STAFF, Role.AUDITOR}),
]
ATTENDANCE = {
    "present": N_("present"),
    "sick": N_("sick"),
    "childcare": N_("childcare"),
    "work_or_placement": N_("at work or a placement"),
    "appointment": N_("appointment"),
    "unexplained": N_("absent without a reason"),
}
LEARNER_STATUSES = {
    "waitlisted": N_("on the waiting list"),
    "enrolled": N_("enrolled"),
    "completed": N_("completed"),
    "withdrawn": N_("withdrawn"),
    "closed": N_("moved away or left"),
}
TRACKS = {"classroom": N_("classroom"), "work_integrated": N_("work-integrated"), "evening": N_("evening")}
SKILLS = {
    "listening": N_("listening"),
    "reading": N_("reading"),
    "writing": N_("writing"),
    "speaking": N_("speaking"),
}
LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
TITLES: dict[str, Any] = {
    "attendance": ATTENDANCE,
    "learner_statuses": LEARNER_STATUSES,
    "tracks": TRACKS,
    "skills": SKILLS,
}


COURSE_FIELDS = (
    "name",
    "language",
    "level_from",
    "level_to",
    "track",
    "hours_per_week",
    "capacity",
    "municipality_code",
    "district",
    "location",
    "starts_on",
    "ends_on",
)


@router.get("/courses", openapi_extra=PERSONAL)
async def courses(request: Request, staff: Staff) -> Response:
    return await _courses_page(request, Api(request, staff))


@router.post("/courses", openapi_extra=PERSONAL)
async def open_course(request: Request, staff: CheckedForm) -> Response:
    submitted = await request.form()
    form = {name: str(submitted.get(name, "")).strip() for name in COURSE_FIELDS}
    body: dict[str, Any] = {name: value for name, value in form.items() if value}
    for name in ("hours_per_week", "capacity"):
        if name in body:
            body[name] = form_number(body[name], integer=name == "capacity")
    api = Api(request, staff)
    try:
        created = await api.post("/courses", body)
    except ApiProblem as refused:
        general, errors = refused.messages(request)
        return await _courses_page(
            request, api, status_code=refused.status, form=form, errors=errors, general=general
        )
    return RedirectResponse(f"/app/courses/{created['id']}", status_code=303)


async def _courses_page(
    request: Request,
    api: Api,
    *,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
) -> Response:
    found = await api.get("/courses", limit=100)
    today = date.today()
    return render(
        request,
        "education/courses.html",
        status_code=status_code,
        found=found,
        levels=LEVELS,
        form=form or {"language": "nb", "level_from": "A1", "level_to": "B1", "starts_on": today.isoformat()},
        errors=errors or {},
        general=general or [],
        **TITLES,
    )


@router.get("/courses/{course_id}", openapi_extra=PERSONAL)
async def course(
    request: Request,
    staff: Staff,
    course_id: UUID,
    recorded: Annotated[str, Query(max_length=10)] = "",
    alerts: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    return await _course_page(request, Api(request, staff), course_id, recorded=recorded, alerts=alerts)


@router.post("/courses/{course_id}/attendance", openapi_extra=PERSONAL)
async def attendance(
    request: Request, staff: CheckedForm, course_id: UUID, session_on: Annotated[str, Form()] = ""
) -> Response:
    form = await request.form()
    marks = [
        {"newcomer_id": key.removeprefix("mark-"), "status": str(value)}
        for key, value in form.multi_items()
        if key.startswith("mark-")
    ]
    api = Api(request, staff)
    try:
        result = await api.post(f"/courses/{course_id}/sessions/{session_on}/attendance", {"marks": marks})
    except ApiProblem as refused:
        general, fields = refused.messages(request)
        return await _course_page(
            request,
            api,
            course_id,
            status_code=refused.status,
            problems=[*general, *fields.values()],
            chosen={mark["newcomer_id"]: mark["status"] for mark in marks},
            session_on=session_on,
        )
    return RedirectResponse(
        f"/app/courses/{course_id}?recorded={session_on}&alerts={result['alerts']}", status_code=303
    )


async def _course_page(
    request: Request,
    api: Api,
    course_id: UUID,
    *,
    status_code: int = 200,
    problems: list[str] | None = None,
    chosen: dict[str, str] | None = None,
    session_on: str = "",
    recorded: str = "",
    alerts: int = 0,
) -> Response:
    found = await api.get(f"/courses/{course_id}")
    learners = (await api.get("/learners", course_id=course_id, status="enrolled", limit=500))["items"]
    absence = {row["newcomer_id"]: row for row in await api.get(f"/courses/{course_id}/absence")}
    return render(
        request,
        "education/course.html",
        status_code=status_code,
        course=found,
        learners=learners,
        absence=absence,
        problems=problems or [],
        chosen=chosen or {},
        session_on=session_on or date.today().isoformat(),
        recorded=recorded,
        alerts=alerts,
        **TITLES,
    )


@router.get("/learners", openapi_extra=PERSONAL)
async def learners(
    request: Request,
    staff: Staff,
    status: Annotated[str, Query(pattern="^(waitlisted|enrolled|completed|withdrawn|closed|)$")] = "",
) -> Response:
    found = await Api(request, staff).get("/learners", status=status or None, limit=100)
    return render(request, "education/learners.html", found=found, status=status, **TITLES)


@router.get("/learners/{newcomer_id}", openapi_extra=PERSONAL)
async def learner(request: Request, staff: Staff, newcomer_id: UUID) -> Response:
    return await _learner_page(request, Api(request, staff), newcomer_id)


@router.post("/learners/{newcomer_id}/assessments", openapi_extra=PERSONAL)
async def assess(
    request: Request,
    staff: CheckedForm,
    newcomer_id: UUID,
    skill: Annotated[str, Form()] = "",
    level: Annotated[str, Form()] = "",
    tested_on: Annotated[str, Form()] = "",
) -> Response:
    form = {"skill": skill, "level": level, "tested_on": tested_on}
    return await _act(request, staff, newcomer_id, "assessments", form, "assessment")


@router.post("/learners/{newcomer_id}/placement", openapi_extra=PERSONAL)
async def place(
    request: Request,
    staff: CheckedForm,
    newcomer_id: UUID,
    course_id: Annotated[str, Form()] = "",
    placed_on: Annotated[str, Form()] = "",
) -> Response:
    form = {"course_id": course_id, "placed_on": placed_on}
    return await _act(request, staff, newcomer_id, "placement", form, "placement")


async def _act(
    request: Request, staff: Any, newcomer_id: UUID, path: str, form: dict[str, str], which: str
) -> Response:
    api = Api(request, staff)
    try:
        await api.post(f"/learners/{newcomer_id}/{path}", {k: v for k, v in form.items() if v})
    except ApiProblem as refused:
        general, errors = refused.messages(request)
        return await _learner_page(
            request,
            api,
            newcomer_id,
            status_code=refused.status,
            which=which,
            form=form,
            errors=errors,
            general=general,
        )
    return RedirectResponse(f"/app/learners/{newcomer_id}", status_code=303)


async def _learner_page(
    request: Request,
    api: Api,
    newcomer_id: UUID,
    *,
    status_code: int = 200,
    which: str = "",
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
) -> Response:
    overview = await api.get(f"/learners/{newcomer_id}")
    tests = await api.get(f"/learners/{newcomer_id}/assessments")
    open_courses = [
        c
        for c in (await api.get("/courses", municipality_code=overview["municipality_code"], limit=100))[
            "items"
        ]
        if c["ends_on"] >= date.today().isoformat()
    ]
    return render(
        request,
        "education/learner.html",
        status_code=status_code,
        learner=overview,
        tests=tests,
        courses=open_courses,
        levels=LEVELS,
        which=which,
        form=form or {},
        errors=errors or {},
        general=general or [],
        today=date.today().isoformat(),
        **TITLES,
    )


PAGES = AgencyPages(
    router=router,
    navigation=NAVIGATION,
    templates=Path(__file__).parent / "templates",
    newcomer_link="/app/learners/",
)
