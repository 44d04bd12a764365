"""registered in: the municipality that registered a newcomer, whose staff see them until settled

Staff see only their own municipalities' newcomers; before settlement a
newcomer has no municipality of their own, so the registering one is kept.
Newcomers registered before this revision get their settlement municipality,
where they have one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("newcomer") as batch:
        batch.add_column(
            sa.Column("registered_in", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True)
        )
        batch.create_index("ix_newcomer_registered_in", ["registered_in"])
    op.execute("UPDATE newcomer SET registered_in = municipality_code")


def downgrade() -> None:
    with op.batch_alter_table("newcomer") as batch:
        batch.drop_index("ix_newcomer_registered_in")
        batch.drop_column("registered_in")
