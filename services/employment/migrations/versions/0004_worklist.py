"""worklist: the job centre's tasks (clocks at risk or breached, registration gaps, absence alerts) and
their history, in the worklist every agency has; the absence tasks kept so far move into it

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 03:00:00

Each task of the old `task` table becomes a worklist task of kind `absence_alert` with the same id,
title, due date and status, in its case's municipality; the table goes.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALERT = "samvirke.education.absence.unexplained-alert.v1"  # written out, as a migration must

old_task = sa.table(
    "task",
    sa.column("id", sa.Uuid()),
    sa.column("newcomer_id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("description", sa.String()),
    sa.column("due_on", sa.Date()),
    sa.column("status", sa.Enum("OPEN", "DONE", name="taskstatus")),
    sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("done_at", sqlmodel.sql.sqltypes.UTCDateTime()),
)
case = sa.table("case", sa.column("newcomer_id", sa.Uuid()), sa.column("municipality_code", sa.String()))
task = sa.table(
    "worklist_task",
    sa.column("id", sa.Uuid()),
    sa.column("newcomer_id", sa.Uuid()),
    sa.column("municipality_code", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("reference", sa.String()),
    sa.column("source", sa.String()),
    sa.column("title", sa.String()),
    sa.column("due_on", sa.Date()),
    sa.column("status", sa.Enum("OPEN", "IN_PROGRESS", "DONE", name="worktaskstatus")),
    sa.column("raised_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("closed_by", sa.String()),
)
history = sa.table(
    "worklist_history",
    sa.column("task_id", sa.Uuid()),
    sa.column("at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("detail", sa.String()),
)


def upgrade() -> None:
    _create_worklist()
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            old_task.c.id,
            old_task.c.newcomer_id,
            old_task.c.description,
            old_task.c.due_on,
            old_task.c.status,
            old_task.c.created_at,
            old_task.c.done_at,
            case.c.municipality_code,
        ).join(case, case.c.newcomer_id == old_task.c.newcomer_id)
    ).all()
    for task_id, newcomer_id, description, due_on, status, created_at, done_at, code in rows:
        done = status == "DONE"
        connection.execute(
            task.insert().values(
                id=task_id,
                newcomer_id=newcomer_id,
                municipality_code=code,
                kind="absence_alert",
                reference=str(task_id),
                source=ALERT,
                title=description[:300],
                due_on=due_on,
                status="DONE" if done else "OPEN",
                raised_at=created_at,
                closed_at=(done_at or datetime.now(UTC)) if done else None,
                closed_by="staff" if done else None,
            )
        )
        connection.execute(
            history.insert().values(task_id=task_id, at=created_at, actor="samvirke", action="raised")
        )
    with op.batch_alter_table("task") as table:
        table.drop_index("ix_task_newcomer_id")
        table.drop_index("ix_task_status")
    op.drop_table("task")
    sa.Enum(name="taskstatus").drop(connection, checkfirst=True)  # PostgreSQL keeps enum types apart


def downgrade() -> None:
    op.create_table(
        "task",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("newcomer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.Enum("OPEN", "DONE", name="taskstatus"), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["newcomer_id"], ["case.newcomer_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_task_newcomer_id", "task", ["newcomer_id"])
    op.create_index("ix_task_status", "task", ["status"])
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            task.c.id, task.c.newcomer_id, task.c.title, task.c.due_on, task.c.status, task.c.raised_at
        ).where(task.c.kind == "absence_alert", task.c.due_on.is_not(None))
    ).all()
    for task_id, newcomer_id, title, due_on, status, raised_at in rows:
        connection.execute(
            old_task.insert().values(
                id=task_id,
                newcomer_id=newcomer_id,
                kind="unexplained_absence",
                description=title,
                due_on=due_on,
                status="DONE" if status == "DONE" else "OPEN",
                created_at=raised_at,
            )
        )
    _drop_worklist()


def _create_worklist() -> None:
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


def _drop_worklist() -> None:
    op.drop_index("ix_worklist_history_task_id", table_name="worklist_history")
    op.drop_table("worklist_history")
    for column in ("newcomer_id", "municipality_code", "due_on", "status", "assignee"):
        op.drop_index(f"ix_worklist_task_{column}", table_name="worklist_task")
    op.drop_table("worklist_task")
