"""`/worklist` in every service: the agency's tasks, for its staff to take, start and finish."""

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request

from shared.errors import Invalid
from shared.runtime.store import Store
from shared.runtime.worklist import Assignment, Worklist, WorkTaskPublic, WorkTaskStatus
from shared.web.audit import PERSONAL
from shared.web.auth import Principal, Role, require_role
from shared.web.pagination import Page, PaginationDep

ME = "me"


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise Invalid(f"due_before {text!r} is not a day of the calendar (YYYY-MM-DD).") from None


def worklist_router(store_dependency: Any, *roles: Role) -> APIRouter:
    """The worklist routes over the service's store (`store_dependency`, scoped to the token)."""
    router = APIRouter(prefix="/worklist", tags=["worklist"], dependencies=[require_role(*roles)])
    store_dep = Annotated[Store, store_dependency]

    def who(request: Request) -> str:
        principal: Principal = request.state.principal
        return principal.subject

    @router.get(
        "",
        summary="The agency's tasks: clocks at risk or breached, registration gaps, alerts, requests",
        description="`assignee=me` (or a staff member's `sub`, or `none` for the unassigned), "
        "`due_before=YYYY-MM-DD`, `status=open&status=in_progress`; soonest due first.",
        openapi_extra=PERSONAL,
    )
    async def worklist(
        request: Request,
        store: store_dep,
        pagination: PaginationDep,
        assignee: Annotated[str | None, Query(max_length=255)] = None,
        due_before: Annotated[
            str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="Due before this day (YYYY-MM-DD)")
        ] = None,
        status: Annotated[list[WorkTaskStatus] | None, Query()] = None,
        newcomer_id: UUID | None = None,
    ) -> Page[WorkTaskPublic]:
        tasks = Worklist(store)
        found, total = await tasks.tasks(
            assignee=who(request) if assignee == ME else None if assignee in (None, "none") else assignee,
            unassigned=assignee == "none",
            due_before=_day(due_before),
            statuses=status or (),
            newcomer_id=newcomer_id,
            limit=pagination.limit,
            offset=pagination.offset,
        )
        return pagination.page(await tasks.public(found), total)

    @router.post(
        "/{task_id}/assign",
        summary='Assign the task to a staff member ("me" for yourself)',
        openapi_extra=PERSONAL,
    )
    async def assign(task_id: UUID, data: Assignment, request: Request, store: store_dep) -> WorkTaskPublic:
        tasks = Worklist(store)
        assignee = who(request) if data.assignee == ME else data.assignee
        [shown] = await tasks.public([await tasks.assign(task_id, assignee, who(request))])
        return shown

    @router.post("/{task_id}/start", summary="Start the task", openapi_extra=PERSONAL)
    async def start(task_id: UUID, request: Request, store: store_dep) -> WorkTaskPublic:
        tasks = Worklist(store)
        [shown] = await tasks.public([await tasks.start(task_id, who(request))])
        return shown

    @router.post("/{task_id}/done", summary="Mark the task done", openapi_extra=PERSONAL)
    async def done(task_id: UUID, request: Request, store: store_dep) -> WorkTaskPublic:
        tasks = Worklist(store)
        [shown] = await tasks.public([await tasks.done(task_id, who(request))])
        return shown

    return router
