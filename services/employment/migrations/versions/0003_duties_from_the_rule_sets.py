"""the job centre's duties from the statutory rule sets: follow-ups required and by when, per case; a
competence mapping due date only where the country's law sets one

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 00:30:00

Cases opened before this revision get their follow-up duty from the rule set as it stands, counted as if
the newcomer was registered as resident on the day they were settled (what the service assumed then).
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

from shared.contracts.agencies import Agency
from shared.contracts.events.employment import FollowUpHeld
from shared.domain.statutory import country_of, load_rule_sets

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case") as table:
        table.add_column(sa.Column("follow_ups_from", sa.Date(), nullable=True))
        table.add_column(sa.Column("follow_ups_due_on", sa.Date(), nullable=True))
        table.add_column(sa.Column("follow_ups_required", sa.Integer(), nullable=True))
        table.alter_column("competence_mapping_due_on", existing_type=sa.Date(), nullable=True)
    connection = op.get_bind()
    cases = sa.table(
        "case",
        sa.column("newcomer_id"),
        sa.column("municipality_code", sa.String()),
        sa.column("settled_on", sa.Date()),
        sa.column("follow_ups_from", sa.Date()),
        sa.column("follow_ups_due_on", sa.Date()),
        sa.column("follow_ups_required", sa.Integer()),
    )
    rule_sets = load_rule_sets()
    for newcomer_id, code, settled_on in connection.execute(
        sa.select(cases.c.newcomer_id, cases.c.municipality_code, cases.c.settled_on)
    ).all():
        rule_set = rule_sets.get(country_of(code))
        settled = settled_on if isinstance(settled_on, date) else date.fromisoformat(str(settled_on))
        facts = {"settled_on": settled.isoformat(), "age_group": "adult"}
        duty = rule_set.duty(Agency.EMPLOYMENT, FollowUpHeld.type, facts) if rule_set else None
        if duty is not None:
            connection.execute(
                cases.update()
                .where(cases.c.newcomer_id == newcomer_id)
                .values(
                    follow_ups_from=duty.started_on,
                    follow_ups_due_on=duty.due_on,
                    follow_ups_required=duty.required,
                )
            )


def downgrade() -> None:
    with op.batch_alter_table("case") as table:
        table.drop_column("follow_ups_required")
        table.drop_column("follow_ups_due_on")
        table.drop_column("follow_ups_from")
