"""settlement tally: each municipality's settlements per year and district, kept as they happen

The quota and spread rules counted the year's settlements on every
settlement (~10 ms each at 20,000 a year); they now read a few rows.
Existing settlements are counted into the tally here.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "settlement_tally",
        sa.Column("municipality_code", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("district", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("by_quota", sa.Integer(), nullable=False),
        sa.Column("family_reunification", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["municipality_code"], ["municipality.code"]),
        sa.PrimaryKeyConstraint("municipality_code", "year", "district"),
    )
    op.execute(
        "INSERT INTO settlement_tally (municipality_code, year, district, by_quota, family_reunification) "
        "SELECT municipality_code, year, district, "
        "SUM(CASE WHEN family_reunification THEN 0 ELSE 1 END), "
        "SUM(CASE WHEN family_reunification THEN 1 ELSE 0 END) "
        "FROM settlement GROUP BY municipality_code, year, district"
    )


def downgrade() -> None:
    op.drop_table("settlement_tally")
