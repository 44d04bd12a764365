"""Assembles the settlement service."""

from pathlib import Path

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from shared.auth import Agency
from shared.events import settlement
from shared.service import build_service

from .api import router
from .config import SettlementSettings
from .store import TABLES


def create_app(settings: SettlementSettings, *, tracer_provider: TracerProvider | None = None) -> FastAPI:
    return build_service(
        settings,
        agency=Agency.SETTLEMENT,
        title="Samvirke settlement",
        description="The municipality's refugee office: the newcomer register and settlement.",
        tables=TABLES,
        migrations=Path(__file__).parent / "migrations",
        api=router,
        publishes=settlement.EVENTS,
        tracer_provider=tracer_provider,
    )
