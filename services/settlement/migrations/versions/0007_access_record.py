"""access records: the other agencies' looks at a newcomer's data, for the person's access log

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "access_record",
        sa.Column("agency", text(length=40), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("newcomer_id", sa.Uuid(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("role", text(length=32), nullable=False),
        sa.Column("purpose", text(length=255), nullable=False),
        sa.Column("changed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("agency", "entry_id", "newcomer_id"),
    )
    op.create_index("ix_access_record_newcomer_id", "access_record", ["newcomer_id"])


def downgrade() -> None:
    op.drop_index("ix_access_record_newcomer_id", table_name="access_record")
    op.drop_table("access_record")
