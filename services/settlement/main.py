"""Assembles the settlement service."""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from shared.auth import Agency
from shared.db import Database
from shared.events import settlement
from shared.service import build_service

from . import handlers
from .api import router
from .config import SettlementSettings
from .consumers import CONSUMES, prepare
from .coordination import Thresholds, load_rule_sets
from .coordination.rules import BUILT_IN
from .store import TABLES, SettlementStore

log = logging.getLogger(__name__)


def create_app(settings: SettlementSettings, *, tracer_provider: TracerProvider | None = None) -> FastAPI:
    coordination = handlers.Coordination(
        rule_sets=load_rule_sets(settings.coordination_rules_dir or BUILT_IN),
        thresholds=Thresholds(
            record_within_days=settings.gap_record_within_days,
            move_within_days=settings.gap_move_within_days,
        ),
    )
    sweeps = []
    if settings.coordination_sweep_interval_s > 0:
        sweeps.append(_sweeping(coordination, settings.coordination_sweep_interval_s))
    app = build_service(
        settings,
        agency=Agency.SETTLEMENT,
        title="Samvirke settlement",
        description="The municipality's refugee office: the newcomer register and settlement, "
        "and the coordinator's view across agencies (journeys, statutory clocks, gaps, key figures).",
        tables=TABLES,
        migrations=Path(__file__).parent / "migrations",
        api=router,
        publishes=settlement.EVENTS,
        consumes=CONSUMES,
        prepare=prepare,
        background=sweeps,
        tracer_provider=tracer_provider,
    )
    app.state.coordination = coordination
    return app


def _sweeping(
    coordination: handlers.Coordination, interval_s: float
) -> Callable[[Database], Coroutine[Any, Any, None]]:
    """Publishes new clock breaches and gaps now and then, so agency systems can react."""

    async def run(database: Database) -> None:
        while True:
            # Wait first: after a restart the consumer catches up on what agencies did meanwhile,
            # so a duty done while this service was down is not published as a breach.
            await asyncio.sleep(interval_s)
            try:
                async with database.transaction() as session:
                    report = await handlers.sweep(SettlementStore(session), coordination, date.today())
                log.info("coordination sweep: %s", report)
            except Exception:  # the store may be down for a while; the next sweep tries again
                log.exception("coordination sweep failed")

    return run
