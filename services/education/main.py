"""Assembles the education service."""

from pathlib import Path

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from shared.contracts.agencies import Agency
from shared.contracts.events import education
from shared.service import build_service, store_dependency
from shared.web.auth import Role
from shared.web.worklist import worklist_router

from . import pages
from .api import router
from .config import EducationSettings
from .consumers import CONSUMES, FORGETS, prepare
from .store import TABLES, EducationStore


def create_app(settings: EducationSettings, *, tracer_provider: TracerProvider | None = None) -> FastAPI:
    return build_service(
        settings,
        agency=Agency.EDUCATION,
        title="Samvirke education",
        description="The language school and introduction programme: courses, seats and waiting lists, "
        "assessments, attendance with reasons, and tracks.",
        tables=TABLES,
        migrations=Path(__file__).parent / "migrations",
        api=[router, worklist_router(store_dependency(EducationStore), Role.STAFF)],
        pages=pages.PAGES,
        publishes=education.EVENTS,
        consumes=CONSUMES,
        forgets=FORGETS,
        prepare=prepare,
        tracer_provider=tracer_provider,
    )
