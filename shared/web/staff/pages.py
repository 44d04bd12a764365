"""The staff pages every service serves: its worklist, and the frame the service's own pages use.

`install(app, pages)` adds login and logout, the worklist, the service's own
page routers and the assets under `/app/static`, and answers a page that
needs a login with a redirect to it, and a refusal of the API with a page.
"""

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from shared.web.audit import PERSONAL
from shared.web.auth import Authenticator
from shared.web.staff.api import Api, ApiProblem
from shared.web.staff.render import AgencyPages, pages_of, render
from shared.web.staff.session import CheckedForm, LoginRequired, Staff, StaffSessions, session_router

STATIC = Path(__file__).parent / "static"
STATUSES = ("open", "in_progress", "done")
ACTIONS = ("assign", "start", "done")


def worklist_pages() -> APIRouter:
    router = APIRouter(prefix="/app", include_in_schema=False)

    @router.get("/", openapi_extra=PERSONAL)
    async def home(request: Request, staff: Staff) -> Response:
        return RedirectResponse(pages_of(request).home(staff), status_code=303)

    @router.get("/worklist", openapi_extra=PERSONAL)
    async def worklist(
        request: Request,
        staff: Staff,
        assignee: Annotated[str, Query(pattern="^(me|none|all)$")] = "me",
        status: Annotated[list[str] | None, Query()] = None,
        due: Annotated[str, Query(pattern="^(today|week|all)$")] = "all",
        newcomer_id: UUID | None = None,
    ) -> Response:
        statuses = [s for s in (status or ["open", "in_progress"]) if s in STATUSES]
        due_before = {"today": date.today() + timedelta(days=1), "week": date.today() + timedelta(days=8)}
        page = await Api(request, staff).get(
            "/worklist",
            assignee=None if assignee == "all" else assignee,
            status=statuses,
            due_before=due_before[due].isoformat() if due in due_before else None,
            newcomer_id=str(newcomer_id) if newcomer_id else None,
            limit=200,
        )
        return render(
            request,
            "worklist.html",
            tasks=page["items"],
            total=page["total"],
            filters={"assignee": assignee, "status": statuses, "due": due, "newcomer_id": newcomer_id},
            statuses=STATUSES,
            today=date.today(),
        )

    @router.post("/worklist/{task_id}/{action}", openapi_extra=PERSONAL)
    async def act(
        request: Request,
        task_id: UUID,
        action: str,
        staff: CheckedForm,
        back: Annotated[str, Form()] = "/app/worklist",
    ) -> Response:
        if action not in ACTIONS:
            return render(request, "error.html", status_code=404, problem="not-found")
        body = {"assignee": "me"} if action == "assign" else None
        await Api(request, staff).post(f"/worklist/{task_id}/{action}", body)
        target = back if back.startswith("/app/") else "/app/worklist"
        return RedirectResponse(target, status_code=303)

    return router


def install(
    app: FastAPI,
    *,
    authenticator: Authenticator,
    client_id: str,
    idle_minutes: float,
    pages: AgencyPages,
) -> None:
    """The staff pages on `app`: login, the worklist, the agency's own `pages`, the assets."""
    app.state.staff_pages = pages
    app.state.staff_sessions = StaffSessions(
        authenticator=lambda: app.state.authenticator, client_id=client_id, idle_minutes=idle_minutes
    )
    app.state.staff_issuer = authenticator.issuers[0]
    app.include_router(session_router())
    app.include_router(worklist_pages())
    if pages.router is not None:
        app.include_router(pages.router)
    app.mount("/app/static", StaticFiles(directory=STATIC), name="staff-static")

    async def on_login_required(request: Request, error: Exception) -> Response:
        assert isinstance(error, LoginRequired)
        return RedirectResponse(f"/app/login?next={_quote(error.next)}", status_code=303)

    async def on_api_problem(request: Request, error: Exception) -> Response:
        assert isinstance(error, ApiProblem)
        general, fields = error.messages(request)
        return render(
            request,
            "error.html",
            status_code=error.status,
            problem="api",
            messages=[*general, *fields.values()],
        )

    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(ApiProblem, on_api_problem)


def _quote(path: str) -> str:
    return quote(path, safe="/")
