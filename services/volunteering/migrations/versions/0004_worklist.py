"""worklist: the agency's tasks (requests for a volunteer, and what coordination raises) and their history

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "worklist_task",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("newcomer_id", sa.Uuid(), nullable=False),
        sa.Column("municipality_code", text(length=4), nullable=False),
        sa.Column("kind", text(length=80), nullable=False),
        sa.Column("reference", text(length=120), nullable=False),
        sa.Column("source", text(length=120), nullable=False),
        sa.Column("title", text(length=300), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.Enum("OPEN", "IN_PROGRESS", "DONE", name="worktaskstatus"), nullable=False),
        sa.Column("assignee", text(length=255), nullable=True),
        sa.Column("raised_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("closed_by", text(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("newcomer_id", "kind", "reference"),
    )
    for column in ("newcomer_id", "municipality_code", "due_on", "status", "assignee"):
        op.create_index(f"ix_worklist_task_{column}", "worklist_task", [column])
    op.create_table(
        "worklist_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor", text(length=255), nullable=False),
        sa.Column("action", text(length=40), nullable=False),
        sa.Column("detail", text(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_worklist_history_task_id", "worklist_history", ["task_id"])


def downgrade() -> None:
    op.drop_index("ix_worklist_history_task_id", table_name="worklist_history")
    op.drop_table("worklist_history")
    for column in ("newcomer_id", "municipality_code", "due_on", "status", "assignee"):
        op.drop_index(f"ix_worklist_task_{column}", table_name="worklist_task")
    op.drop_table("worklist_task")
