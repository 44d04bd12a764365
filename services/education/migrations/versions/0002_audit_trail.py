"""audit trail: an entry per request about newcomers, the newcomers it touched, and the sealed chain

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 12:40:00
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
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("subject", text(length=255), nullable=False),
        sa.Column("agency", text(length=32), nullable=False),
        sa.Column("role", text(length=32), nullable=False),
        sa.Column("scope", text(length=1000), nullable=False),
        sa.Column("method", text(length=10), nullable=False),
        sa.Column("route", text(length=255), nullable=False),
        sa.Column("purpose", text(length=255), nullable=False),
        sa.Column("outcome", sa.Integer(), nullable=False),
        sa.Column("sealed_as", sa.Integer(), nullable=True),
        sa.Column("hash", text(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sealed_as"),
    )
    op.create_index("ix_audit_entry_at", "audit_entry", ["at"])
    op.create_index("ix_audit_entry_subject", "audit_entry", ["subject"])
    op.create_table(
        "audit_subject",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("newcomer_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["audit_entry.id"]),
        sa.PrimaryKeyConstraint("entry_id", "newcomer_id"),
    )
    op.create_index("ix_audit_subject_newcomer_id", "audit_subject", ["newcomer_id"])
    op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("head", text(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("audit_chain")
    op.drop_index("ix_audit_subject_newcomer_id", table_name="audit_subject")
    op.drop_table("audit_subject")
    op.drop_index("ix_audit_entry_subject", table_name="audit_entry")
    op.drop_index("ix_audit_entry_at", table_name="audit_entry")
    op.drop_table("audit_entry")
