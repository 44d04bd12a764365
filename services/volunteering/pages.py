"""The volunteer organisation's pages: its match requests, the volunteers ranked for one with the
reasons of each score, and the matches it proposes and follows."""

from pathlib import Path
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from shared.web.audit import PERSONAL
from shared.web.auth import Role
from shared.web.staff.api import Api, ApiProblem
from shared.web.staff.render import N_, AgencyPages, render
from shared.web.staff.session import CheckedForm, Staff

router = APIRouter(prefix="/app", include_in_schema=False)

NAVIGATION = [
    ("/app/requests", N_("Match requests"), {Role.STAFF, Role.AUDITOR}),
    ("/app/worklist", N_("Worklist"), {Role.STAFF, Role.AUDITOR}),
]
REQUEST_STATUSES = {"open": N_("open"), "matched": N_("matched"), "closed": N_("closed")}
MATCH_KINDS = {
    "friend": N_("a friend"),
    "leisure_buddy": N_("leisure and sports"),
    "language_mentor": N_("language mentor"),
    "homework_helper": N_("homework help"),
}
MATCH_STATUSES = {
    "proposed": N_("proposed"),
    "accepted": N_("accepted"),
    "active": N_("active"),
    "ended": N_("ended"),
}
SCORE_PARTS = {
    "language": N_("language"),
    "interests": N_("interests"),
    "occupation": N_("occupation"),
    "district": N_("district"),
    "age band": N_("age band"),
    "availability": N_("availability"),
    "load": N_("load"),
}
MATCH_STEPS = {"proposed": ("accept", N_("Both said yes")), "accepted": ("activate", N_("They have met"))}


@router.get("/requests", openapi_extra=PERSONAL)
async def requests(
    request: Request,
    staff: Staff,
    status: Annotated[str, Query(pattern="^(open|matched|closed|)$")] = "open",
    kind: Annotated[str, Query(pattern="^(friend|leisure_buddy|language_mentor|homework_helper|)$")] = "",
) -> Response:
    found = await Api(request, staff).get(
        "/match-requests", status=status or None, kind=kind or None, limit=100
    )
    return render(
        request,
        "volunteering/requests.html",
        found=found,
        status=status,
        kind=kind,
        request_statuses=REQUEST_STATUSES,
        match_kinds=MATCH_KINDS,
    )


@router.get("/requests/{request_id}", openapi_extra=PERSONAL)
async def match_request(request: Request, staff: Staff, request_id: UUID) -> Response:
    return await _request_page(request, Api(request, staff), request_id)


@router.post("/requests/{request_id}/matches", openapi_extra=PERSONAL)
async def propose(
    request: Request, staff: CheckedForm, request_id: UUID, volunteer_id: Annotated[str, Form()] = ""
) -> Response:
    api = Api(request, staff)
    try:
        await api.post(f"/match-requests/{request_id}/matches", {"volunteer_id": volunteer_id})
    except ApiProblem as refused:
        general, fields = refused.messages(request)
        return await _request_page(
            request, api, request_id, status_code=refused.status, problems=[*general, *fields.values()]
        )
    return RedirectResponse(f"/app/requests/{request_id}#matches", status_code=303)


@router.post("/matches/{match_id}/{step}", openapi_extra=PERSONAL)
async def match_step(
    request: Request,
    staff: CheckedForm,
    match_id: UUID,
    step: str,
    request_id: Annotated[UUID, Form()],
) -> Response:
    if step not in {action for action, _ in MATCH_STEPS.values()}:
        return render(request, "error.html", status_code=404, problem="not-found")
    await Api(request, staff).post(f"/matches/{match_id}/{step}", {})
    return RedirectResponse(f"/app/requests/{request_id}#matches", status_code=303)


async def _request_page(
    request: Request, api: Api, request_id: UUID, *, status_code: int = 200, problems: list[str] | None = None
) -> Response:
    match_request = await api.get(f"/match-requests/{request_id}")
    candidates = (
        await api.get(f"/match-requests/{request_id}/candidates") if match_request["status"] == "open" else []
    )
    matches = (await api.get("/matches", request_id=request_id, limit=100))["items"]
    names = {c["volunteer_id"]: c["name"] for c in candidates}
    for match in matches:
        if match["volunteer_id"] not in names:
            names[match["volunteer_id"]] = (await api.get(f"/volunteers/{match['volunteer_id']}"))["name"]
    return render(
        request,
        "volunteering/request.html",
        status_code=status_code,
        match_request=match_request,
        candidates=candidates,
        matches=matches,
        names=names,
        problems=problems or [],
        request_statuses=REQUEST_STATUSES,
        match_kinds=MATCH_KINDS,
        match_statuses=MATCH_STATUSES,
        match_steps=MATCH_STEPS,
        score_parts=SCORE_PARTS,
    )


PAGES = AgencyPages(router=router, navigation=NAVIGATION, templates=Path(__file__).parent / "templates")
