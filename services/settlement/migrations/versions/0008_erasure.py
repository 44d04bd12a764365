"""erasure: a request per newcomer, and each agency's proof as it answers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GROUNDS = ("NO_LONGER_NEEDED", "CONSENT_WITHDRAWN", "OBJECTION", "UNLAWFUL", "LEGAL_OBLIGATION")


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "erasure_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("newcomer_id", sa.Uuid(), nullable=False),
        sa.Column("legal_ground", sa.Enum(*GROUNDS, name="legalground"), nullable=False),
        sa.Column("requested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_erasure_request_newcomer_id", "erasure_request", ["newcomer_id"], unique=True)
    op.create_table(
        "erasure_proof",
        sa.Column("erasure_id", sa.Uuid(), nullable=False),
        sa.Column("agency", text(length=40), nullable=False),
        sa.Column("completed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("newcomer_hash", text(length=64), nullable=True),
        sa.Column("rows_removed", sa.JSON(), nullable=False),
        sa.Column("rows_remaining", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["erasure_id"], ["erasure_request.id"]),
        sa.PrimaryKeyConstraint("erasure_id", "agency"),
    )


def downgrade() -> None:
    op.drop_table("erasure_proof")
    op.drop_index("ix_erasure_request_newcomer_id", table_name="erasure_request")
    op.drop_table("erasure_request")
    sa.Enum(name="legalground").drop(op.get_bind(), checkfirst=True)
