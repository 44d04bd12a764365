"""Assembles one agency service as an HTTP app: its `Service`, the API, health, docs and telemetry.

Each service's `create_app(settings)` calls `build_service` with its own
tables, router, published events and event handlers. Nothing connects until
the app's lifespan starts.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi_offline import FastAPIOffline
from faststream.specification import AsyncAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import Table
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.agencies import Agency, source_of
from shared.contracts.events import AccessRecorded, Event
from shared.runtime.audit import Announce, AuditLog, AuditWriter, sealing, watch
from shared.runtime.db import Database
from shared.runtime.routing import AnyHandler, Forget, Prepare
from shared.runtime.scope import Scope
from shared.service.handle import Service, SettingsT, assemble
from shared.web.audit import AuditMiddleware, audit_router, request_audit
from shared.web.auth import SAFE_METHODS, Authenticator, CurrentPrincipal, current_principal
from shared.web.operations import operations_router
from shared.web.problems import document_problems, install_problem_handlers
from shared.web.staff import pages as staff_pages
from shared.web.staff.render import AgencyPages

log = logging.getLogger(__name__)

BACKGROUND_STOP_S = 5.0  # at shutdown, how long a background loop may take to end once cancelled

StoreT = TypeVar("StoreT")
Background = Callable[[Database], Coroutine[Any, Any, None]]  # runs while the service does


def build_service(
    settings: SettingsT,
    *,
    agency: Agency,
    title: str,
    description: str,
    tables: Sequence[Table],
    migrations: Path,
    api: Sequence[APIRouter],
    pages: AgencyPages | None = None,
    publishes: tuple[type[Event], ...],
    consumes: Mapping[type[Event], AnyHandler] | None = None,
    forgets: Mapping[type[Event], Forget] | None = None,
    prepare: Prepare | None = None,
    background: Sequence[Background] = (),
    tracer_provider: TracerProvider | None = None,
) -> FastAPI:
    service = assemble(
        settings,
        tables=tables,
        migrations=migrations,
        publishes=publishes,
        consumes=consumes,
        forgets=forgets,
        prepare=prepare,
        tracer_provider=tracer_provider,
    )
    # /docs and /redoc with Swagger UI's and ReDoc's assets from the installed package, not a CDN.
    app = FastAPIOffline(
        title=title, description=description, version="1.0.0", lifespan=_lifespan(service, background)
    )
    app.state.service = service
    app.state.agency = agency
    app.state.authenticator = Authenticator(
        issuers=settings.oidc_issuers,
        agency=agency,
        audience=settings.oidc_audience or None,
        leeway_s=settings.oidc_leeway_s,
    )
    install_problem_handlers(app)
    accessed = [event for event in publishes if issubclass(event, AccessRecorded)]
    announce = Announce(accessed[0], source_of(agency)) if accessed else None
    writer = AuditWriter(lambda: service.database, wait=settings.audit_reads_before_response)
    app.state.audit_writer = writer
    app.add_middleware(AuditMiddleware, writer=writer, announce=announce)
    asyncapi = AsyncAPI(service.broker, title=f"{title} events", version="1.0.0", description=description)
    app.include_router(
        operations_router(
            {"database": service.database.ping, "broker": lambda: _ping(service)},
            asyncapi.to_specification,
        )
    )
    for router in [*api, audit_router(lambda: service.database)]:  # each declares the roles it admits
        app.include_router(router, dependencies=[Depends(current_principal)])
    staff_pages.install(
        app,
        authenticator=app.state.authenticator,
        client_id=settings.web_client_id or app.state.authenticator.audience,
        idle_minutes=settings.web_session_idle_minutes,
        pages=pages or AgencyPages(),
    )
    document_problems(app)
    # A span per request; the two more the ASGI layer would make, for reading the body and for
    # sending the response, say nothing the request's span does not.
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=service.tracer_provider,
        excluded_urls="healthz,readyz",
        exclude_spans=["receive", "send"],
    )
    return app


def service_of(app: FastAPI) -> Service[Any]:
    """The `Service` an app built by `build_service` runs."""
    service = app.state.service
    assert isinstance(service, Service)
    return service


def _lifespan(
    service: Service[Any], background: Sequence[Background]
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        every = [*background, sealing(service.settings.audit_seal_interval_s)]
        tasks = [asyncio.create_task(run(service.database)) for run in every]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            if tasks:  # each ends at its next await; one that does not must not hold the shutdown
                done, stuck = await asyncio.wait(tasks, timeout=BACKGROUND_STOP_S)
                for task in stuck:
                    log.error(
                        "background task %s did not stop within %.0f s", task.get_name(), BACKGROUND_STOP_S
                    )
                for task in done:
                    if not task.cancelled() and (error := task.exception()) is not None:
                        log.error("background task %s had failed", task.get_name(), exc_info=error)
            await app.state.audit_writer.drain()  # the entries of the last reads, before the store closes
            await service.stop()
            await app.state.authenticator.aclose()

    return lifespan


async def _ping(service: Service[Any]) -> None:
    if not await service.broker.ping(timeout=2.0):
        raise ConnectionError("Kafka broker does not answer")


def store_dependency(make_store: Callable[[AsyncSession, Scope], StoreT]) -> Any:
    """A dependency giving a route a store in one transaction, committed before the response.

    The store acts for the token's scope: it filters every query by the staff
    member's municipalities or organisation.
    """

    async def transactional_store(request: Request, principal: CurrentPrincipal) -> AsyncIterator[StoreT]:
        database = service_of(request.app).database
        audit = request_audit(request)
        read_only = request.method in SAFE_METHODS
        async with database.transaction(read_only=read_only) as session:
            if audit is not None:
                audit.seen.keys = getattr(make_store, "newcomer_keys", {})
                watch(session, audit.seen)
            yield make_store(session, principal.scope)
            if audit is not None and not read_only:  # the change and its audit entry commit together
                route = request.scope["route"]
                entry, newcomers = audit.entry(request.scope, principal, route.status_code or 200)
                await AuditLog(session).record(entry, newcomers, audit.announce)
                audit.written = True

    return Depends(transactional_store, scope="function")
