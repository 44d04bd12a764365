"""Assembles the settlement service."""

from pathlib import Path

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from shared.contracts.agencies import Agency
from shared.contracts.events import settlement
from shared.domain.statutory import BUILT_IN
from shared.service import build_service, store_dependency
from shared.web.auth import Role
from shared.web.worklist import worklist_router

from . import pages
from .api import router
from .config import SettlementSettings
from .consumers import CONSUMES, prepare
from .coordination import Thresholds, load_rule_sets
from .coordination import api as coordination_api
from .coordination.handlers import Coordination, sweeping
from .handlers.retention import BUILT_IN as RETENTION_RULES
from .handlers.retention import load_retention_rules, retaining
from .store import TABLES, SettlementStore


def create_app(settings: SettlementSettings, *, tracer_provider: TracerProvider | None = None) -> FastAPI:
    coordination = Coordination(
        rule_sets=load_rule_sets(settings.statutory_rules_dir or BUILT_IN),
        thresholds=Thresholds(
            record_within_days=settings.gap_record_within_days,
            move_within_days=settings.gap_move_within_days,
        ),
    )
    sweeps = []
    if settings.coordination_sweep_interval_s > 0:
        sweeps.append(sweeping(coordination, settings.coordination_sweep_interval_s))
    retention = load_retention_rules(settings.retention_rules or RETENTION_RULES)
    if settings.retention_sweep_interval_s > 0:
        sweeps.append(retaining(retention, settings.retention_sweep_interval_s))
    worklist = worklist_router(store_dependency(SettlementStore), Role.STAFF)
    app = build_service(
        settings,
        agency=Agency.SETTLEMENT,
        title="Samvirke settlement",
        description="The municipality's refugee office: the newcomer register and settlement, "
        "and the coordinator's view across agencies (journeys, statutory clocks, gaps, key figures).",
        tables=TABLES,
        migrations=Path(__file__).parent / "migrations",
        api=[router, coordination_api.router, worklist],  # the officers', the coordinator's, the worklist
        pages=pages.PAGES,
        publishes=settlement.EVENTS,
        consumes=CONSUMES,
        prepare=prepare,
        background=sweeps,
        tracer_provider=tracer_provider,
    )
    app.state.coordination = coordination
    app.state.retention = retention
    return app
