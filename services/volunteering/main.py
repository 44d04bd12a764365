"""Assembles the volunteering service."""

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from shared.auth import Agency
from shared.events import volunteering
from shared.service import build_service

from .api import router
from .config import VolunteeringSettings
from .consumers import CONSUMES
from .store import TABLES


def create_app(settings: VolunteeringSettings, *, tracer_provider: TracerProvider | None = None) -> FastAPI:
    return build_service(
        settings,
        agency=Agency.VOLUNTEERING,
        title="Samvirke volunteering",
        description="Volunteer organisations: match requests for newcomers who consented to contact.",
        tables=TABLES,
        api=router,
        publishes=volunteering.EVENTS,
        consumes=CONSUMES,
        tracer_provider=tracer_provider,
    )
