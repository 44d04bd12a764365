"""Auditing at the HTTP edge: every route says whether it is about newcomers; each request to one that is
leaves an audit entry before its response leaves, and the auditor reads them at `GET /audit`.

A route declares `openapi_extra=PERSONAL` (it reads or changes a newcomer's
data) or `NOT_PERSONAL` (reference data, aggregate figures, operations);
the route's summary is its purpose in plain words, shown to the person in
their access log. `tests/unit/test_audit.py` fails for a route that says
neither. What the entry records is in `shared.runtime.audit`.
"""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.runtime.audit import Access, Announce, AuditLog, AuditWriter, Seen, now, watch
from shared.runtime.db import Database
from shared.web.auth import Principal, Role, require_role
from shared.web.pagination import Page, PaginationDep

PERSONAL: dict[str, Any] = {"x-audit": "personal"}  # every request is audited, with the newcomers it touched
NOT_PERSONAL: dict[str, Any] = {"x-audit": "not personal"}  # nothing about a newcomer in it


def classification(route: APIRoute) -> str | None:
    """The route's `x-audit`: "personal", "not personal", or None where the route says neither."""
    return (route.openapi_extra or {}).get("x-audit")


def is_personal(route: Any) -> bool:
    return isinstance(route, APIRoute) and classification(route) == PERSONAL["x-audit"]


@dataclass
class RequestAudit:
    """One request's audit: what it touched, and whether its entry is written yet."""

    seen: Seen = field(default_factory=Seen)
    written: bool = False
    announce: Announce | None = None  # the service's access event, for the person's access log

    def entry(self, scope: Scope, principal: Principal, outcome: int) -> tuple[Access, set[UUID]]:
        route: APIRoute = scope["route"]
        newcomers = set(self.seen.newcomers)
        in_path = scope.get("path_params", {}).get("newcomer_id")
        if in_path is not None:
            with contextlib.suppress(ValueError):  # not an id: refused as invalid, it touched no one
                newcomers.add(UUID(str(in_path)))
        entry = Access(
            at=now(),
            subject=principal.subject,
            agency=principal.agency,
            role=principal.role,
            scope=" ".join(sorted(principal.municipalities)) or f"organisation {principal.organisation}",
            method=scope["method"],
            route=route.path,
            purpose=route.summary or route.name,
            outcome=outcome,
        )
        return entry, newcomers


def request_audit(request: Request) -> RequestAudit | None:
    """The audit of this request, if its route is about newcomers and a staff member is known."""
    audit = getattr(request.state, "audit", None)
    if isinstance(audit, RequestAudit) and is_personal(request.scope.get("route")):
        return audit
    return None


class AuditMiddleware:
    """Writes the audit entry of each request to a personal route before the response starts.

    A request that changed data has written its entry with the change (see
    `shared.service.app.store_dependency`); any other — a read, a refusal,
    a failure — gets its entry here, from `writer`, in a transaction of its
    own. Unless the service lets reads go ahead of their entries
    (`audit_reads_before_response` false), a response whose entry cannot be
    written is not sent: the client gets the error.
    """

    def __init__(self, app: ASGIApp, writer: AuditWriter, announce: Announce | None = None) -> None:
        self.app = app
        self.writer = writer
        self.announce = announce

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        audit = RequestAudit(announce=self.announce)
        scope.setdefault("state", {})["audit"] = audit

        async def send_audited(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self._write(scope, audit, message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_audited)
        except Exception:
            await self._write(scope, audit, 500)
            raise

    async def _write(self, scope: Scope, audit: RequestAudit, status: int) -> None:
        principal = scope.get("state", {}).get("principal")
        if audit.written or principal is None or not is_personal(scope.get("route")):
            return  # no token, no one to name: the request was refused before it saw anything
        audit.written = True
        entry, newcomers = audit.entry(scope, principal, status)
        await self.writer.write(entry, newcomers, audit.announce)


class AuditEntryPublic(BaseModel):
    id: int
    at: datetime
    subject: str
    agency: str
    role: str
    scope: str
    method: str
    route: str
    purpose: str
    outcome: int
    newcomer_ids: list[UUID]
    sealed_as: int | None
    hash: str | None


def audit_router(database: Callable[[], Database]) -> APIRouter:
    """`GET /audit` for the auditor: the service's audit entries, newest first."""
    router = APIRouter(tags=["audit"], dependencies=[require_role(Role.AUDITOR)])

    @router.get(
        "/audit",
        summary="Internal control: who looked at or changed a newcomer's data",
        openapi_extra=PERSONAL,
    )
    async def audit_entries(
        request: Request,
        pagination: PaginationDep,
        newcomer_id: UUID | None = None,
        subject: Annotated[str | None, Query(max_length=255)] = None,
        since: Annotated[datetime | None, Query(alias="from")] = None,
        until: Annotated[datetime | None, Query(alias="to")] = None,
    ) -> Page[AuditEntryPublic]:
        principal: Principal = request.state.principal
        async with database().transaction(read_only=True) as session:
            if (audit := request_audit(request)) is not None:
                watch(session, audit.seen)  # the newcomers in the entries shown: this look is audited too
            found, total = await AuditLog(session).entries(
                newcomer_id=newcomer_id,
                subject=subject,
                since=since,
                until=until,
                limit=pagination.limit,
                offset=pagination.offset,
                scope=principal.scope,
            )
        items = [
            AuditEntryPublic(**entry.model_dump(), newcomer_ids=sorted(newcomers, key=str))
            for entry, newcomers in found
        ]
        return pagination.page(items, total)

    return router
