from alembic import context

from shared.runtime.migrations import run_migrations

run_migrations(context)
