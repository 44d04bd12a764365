"""search name: each newcomer's name case- and accent-folded, so search finds every name

Searching lower-cased the term in Python and the names in SQL, and SQLite
lower-cases only ASCII: 'Ærøskøbing', 'Øyvind' or 'İstanbul' were never
found. The folded name is stored instead and compared with a folded term.
Existing newcomers are folded here, as the service folds new ones.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 19:20:00
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _folded(text: str) -> str:  # shared.domain.inputs.folded as of this revision
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def upgrade() -> None:
    with op.batch_alter_table("newcomer") as batch:
        batch.add_column(
            sa.Column(
                "search_name", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default=""
            )
        )
    connection = op.get_bind()
    newcomer = sa.table("newcomer", sa.column("id"), sa.column("given_name"), sa.column("family_name"))
    rows = connection.execute(sa.select(newcomer.c.id, newcomer.c.given_name, newcomer.c.family_name)).all()
    for newcomer_id, given_name, family_name in rows:
        connection.execute(
            sa.text("UPDATE newcomer SET search_name = :name WHERE id = :id"),
            {"name": _folded(f"{given_name} {family_name}"), "id": newcomer_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("newcomer") as batch:
        batch.drop_column("search_name")
