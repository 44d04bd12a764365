"""reunified children: the tally counts, of the year's family reunifications, those under 18 on the day
settled, so the quota report can give adults and children apart

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 02:40:00

Settlements made before this revision are counted from the newcomer's birth date. An erased newcomer's
birth date was kept as 1 January of the year, so a child erased in the months before turning 18 can be
counted as an adult: the same answer erasure gives everywhere else.
"""

from collections import Counter
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADULT_AGE = 18  # written out, as a migration must

settlement = sa.table(
    "settlement",
    sa.column("newcomer_id"),
    sa.column("municipality_code", sa.String()),
    sa.column("year", sa.Integer()),
    sa.column("district", sa.String()),
    sa.column("settled_on", sa.Date()),
    sa.column("family_reunification", sa.Boolean()),
)
newcomer = sa.table("newcomer", sa.column("id"), sa.column("birth_date", sa.Date()))
tally = sa.table(
    "settlement_tally",
    sa.column("municipality_code", sa.String()),
    sa.column("year", sa.Integer()),
    sa.column("district", sa.String()),
    sa.column("family_reunification_children", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("settlement_tally") as table:
        table.add_column(
            sa.Column("family_reunification_children", sa.Integer(), nullable=False, server_default="0")
        )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            settlement.c.municipality_code,
            settlement.c.year,
            settlement.c.district,
            settlement.c.settled_on,
            newcomer.c.birth_date,
        )
        .join(newcomer, newcomer.c.id == settlement.c.newcomer_id)
        .where(settlement.c.family_reunification == sa.true())
    ).all()
    children: Counter[tuple[str, int, str]] = Counter()
    for code, year, district, settled_on, birth_date in rows:
        if _age(_day(birth_date), _day(settled_on)) < ADULT_AGE:
            children[(code, year, district)] += 1
    for (code, year, district), count in children.items():
        connection.execute(
            tally.update()
            .where(tally.c.municipality_code == code, tally.c.year == year, tally.c.district == district)
            .values(family_reunification_children=count)
        )


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _age(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def downgrade() -> None:
    with op.batch_alter_table("settlement_tally") as table:
        table.drop_column("family_reunification_children")
