"""Versioned schema migrations (Alembic), one history per service.

Each service keeps its revisions in `services/<name>/migrations/versions/`,
and its `env.py` hands over to `run_migrations`. A service upgrades its store
to the newest revision when it starts; `tests/unit/test_migrations.py`
fails when a model changes without a revision that makes the same change.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table
from sqlalchemy.engine import Connection


def config_for(script_location: Path, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection, script_location: Path) -> None:
    """Brings the store to the newest revision (run with `run_sync` on an async connection)."""
    command.upgrade(config_for(script_location, connection), "head")


def run_migrations(context: Any) -> None:
    """The body of every service's `env.py`: migrate on the connection the service handed over."""
    connection = context.config.attributes["connection"]
    # Batch mode lets SQLite alter tables by copying them; PostgreSQL alters in place.
    context.configure(connection=connection, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def differences(connection: Connection, tables: Sequence[Table]) -> list[Any]:
    """What the store's schema lacks, or has extra, compared with these tables."""
    metadata = MetaData()
    for table in tables:
        table.to_metadata(metadata)
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [diff for diff in compare_metadata(context, metadata) if not _is_alembic_table(diff)]


def _is_alembic_table(diff: Any) -> bool:
    return isinstance(diff, tuple) and len(diff) > 1 and getattr(diff[1], "name", None) == "alembic_version"
