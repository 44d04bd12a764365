"""Assembles the employment service."""

from pathlib import Path

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from shared.contracts.agencies import Agency
from shared.contracts.events import employment
from shared.service import build_service, store_dependency
from shared.web.auth import Role
from shared.web.worklist import worklist_router

from . import pages
from .api import router
from .config import EmploymentSettings
from .consumers import FORGETS, consumes, prepare
from .store import TABLES, EmploymentStore


def create_app(settings: EmploymentSettings, *, tracer_provider: TracerProvider | None = None) -> FastAPI:
    return build_service(
        settings,
        agency=Agency.EMPLOYMENT,
        title="Samvirke employment",
        description="The job centre: a case per settled adult, competence mapping, job plans, "
        "employers and placements, follow-up and outcomes.",
        tables=TABLES,
        migrations=Path(__file__).parent / "migrations",
        api=[router, worklist_router(store_dependency(EmploymentStore), Role.STAFF)],
        pages=pages.PAGES,
        publishes=employment.EVENTS,
        consumes=consumes(settings),
        forgets=FORGETS,
        prepare=prepare,
        tracer_provider=tracer_provider,
    )
