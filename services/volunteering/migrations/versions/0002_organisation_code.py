"""organisation code: the organisation as the identity provider names it, which its staff's tokens carry

Volunteer organisations see only their own volunteers, matches and
activities; the code ties an organisation's rows to its staff's tokens.
Organisations added before this revision have none (an empty code) and are
seen by nobody until an operator sets it, e.g.
`UPDATE organisation SET code = 'red-cross' WHERE id = ...`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 11:40:00
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
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(
            sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False, server_default="")
        )
        batch.create_index("ix_organisation_code", ["code"])


def downgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.drop_index("ix_organisation_code")
        batch.drop_column("code")
