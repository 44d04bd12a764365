"""Runs one service as a process: `python -m services.<name> [serve | replay | verify-audit]`."""

import argparse
import asyncio
import copy
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI

from shared.config import ServiceSettings
from shared.runtime.audit import AuditLog, Verdict, seal_all
from shared.runtime.db import Database

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def main(create_app: Callable[[SettingsT], FastAPI], settings: SettingsT) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m services.{settings.service_name}")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the service (the default)")
    replaying = commands.add_parser(
        "replay", help="rebuild what the service derived from other agencies' events"
    )
    replaying.add_argument(
        "--from-scratch", action="store_true", help="apply every event again, not only missing ones"
    )
    commands.add_parser(
        "verify-audit", help="check the audit trail's chain: exit 1 if an entry was altered or removed"
    )
    args = parser.parse_args()
    if args.command == "verify-audit":
        from shared.service.app import service_of

        service = service_of(create_app(settings))
        verdict = asyncio.run(verify_audit(service.database, service.migrations))
        print(
            f"audit trail intact: {verdict.entries} sealed entries"
            if verdict.intact
            else f"audit trail BROKEN after {verdict.entries} entries: {verdict.reason}"
        )
        raise SystemExit(0 if verdict.intact else 1)
    if args.command == "replay":
        from shared.service.app import service_of
        from shared.service.replay import replay

        _configure_logging(settings)
        report = asyncio.run(replay(service_of(create_app(settings)), from_scratch=args.from_scratch))
        print(
            f"replayed {report.records} records in {report.seconds:.1f}s ({report.per_second:.0f}/s), "
            f"published {report.published} reactions"
        )
    else:
        serve(create_app, settings)


async def verify_audit(database: Database, migrations: Path) -> Verdict:
    """Seals what is unsealed, then walks the whole chain."""
    try:
        await database.migrate(migrations)  # as the service does when it starts
        await seal_all(database)
        async with database.transaction(read_only=True) as session:
            return await AuditLog(session).verify()
    finally:
        await database.dispose()


def _configure_logging(settings: ServiceSettings) -> str:
    level = os.environ.get("SAMVIRKE_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=level, format=f"%(asctime)s {settings.service_name} %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)  # chatty at INFO about every rebalance
    return level


class WithoutQuery(logging.Filter):
    """Keeps the query string out of uvicorn's access log: a search's terms are people's names."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            record.args = (client, method, str(path).split("?", 1)[0], version, status)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging, its access lines without query strings."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["without_query"] = {"()": WithoutQuery}
    config["handlers"]["access"]["filters"] = ["without_query"]
    return config


def serve(create_app: Callable[[SettingsT], FastAPI], settings: SettingsT) -> None:
    level = _configure_logging(settings)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=level.lower(),
        log_config=log_config(),
    )
