"""Assembles the volunteering service."""

from pathlib import Path

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from shared.contracts.agencies import Agency
from shared.contracts.events import volunteering
from shared.service import build_service, store_dependency
from shared.web.auth import Role
from shared.web.worklist import worklist_router

from . import pages
from .api import router
from .config import VolunteeringSettings
from .consumers import CONSUMES, FORGETS, prepare
from .store import TABLES, VolunteeringStore


def create_app(settings: VolunteeringSettings, *, tracer_provider: TracerProvider | None = None) -> FastAPI:
    return build_service(
        settings,
        agency=Agency.VOLUNTEERING,
        title="Samvirke volunteering",
        description="Volunteer organisations: volunteers, match requests for newcomers who consented, "
        "explainable matching, hours and activities; erasure on withdrawal, relocation and departure.",
        tables=TABLES,
        migrations=Path(__file__).parent / "migrations",
        api=[router, worklist_router(store_dependency(VolunteeringStore), Role.STAFF)],
        pages=pages.PAGES,
        publishes=volunteering.EVENTS,
        consumes=CONSUMES,
        forgets=FORGETS,
        prepare=prepare,
        tracer_provider=tracer_provider,
    )
