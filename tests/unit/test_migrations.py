"""Each service's versioned migrations build exactly the schema its models describe."""

import importlib
from pathlib import Path

import pytest

from shared.db import Database
from shared.inbox import InboxEntry
from shared.migrations import differences
from shared.outbox import OutboxMessage

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", ["settlement", "education", "employment", "volunteering"])
async def test_migrating_an_empty_store_gives_the_models_schema(service: str, database_url: str) -> None:
    tables = [
        *importlib.import_module(f"services.{service}.store").TABLES,
        OutboxMessage.__table__,
        InboxEntry.__table__,
    ]  # type: ignore[attr-defined]
    database = Database.from_url(database_url, tables)
    try:
        await database.migrate(ROOT / "services" / service / "migrations")
        await database.migrate(ROOT / "services" / service / "migrations")  # the second run changes nothing
        async with database.engine.connect() as connection:
            missing_or_extra = await connection.run_sync(differences, database.tables)
        assert missing_or_extra == [], "a model changed without a migration: add a revision"
    finally:
        await database.dispose()
