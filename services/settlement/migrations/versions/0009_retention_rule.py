"""retention rule: an erasure the register requested of its own accord names the rule whose period ran

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("erasure_request") as table:
        table.add_column(
            sa.Column("retention_rule", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("erasure_request") as table:
        table.drop_column("retention_rule")
