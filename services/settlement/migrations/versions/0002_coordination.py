"""coordination: every agency's events per newcomer, and the breaches and gaps published

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coordination_notice",
        sa.Column("newcomer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("newcomer_id", "kind", "reference"),
    )
    op.create_table(
        "journey_entry",
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("newcomer_id", sa.Uuid(), nullable=False),
        sa.Column("agency", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("source", "event_id"),
    )
    with op.batch_alter_table("journey_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journey_entry_newcomer_id"), ["newcomer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("journey_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journey_entry_newcomer_id"))
    op.drop_table("journey_entry")
    op.drop_table("coordination_notice")
