"""journey without free text: entries of superseded event types take their successor's type, and no entry
keeps the reason, programme or note staff wrote in another agency's system

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, as a migration must: what the catalogue superseded on this day, and what it dropped.
SUCCESSORS = {
    "samvirke.settlement.handover.rejected.v1": "samvirke.settlement.handover.rejected.v2",
    "samvirke.settlement.handover.revoked.v1": "samvirke.settlement.handover.revoked.v2",
    "samvirke.employment.placement.ended.v1": "samvirke.employment.placement.ended.v2",
    "samvirke.employment.education.started.v1": "samvirke.employment.education.started.v2",
    "samvirke.volunteering.match.ended.v1": "samvirke.volunteering.match.ended.v2",
}
NOTED = ("samvirke.employment.case.closed.v1", "samvirke.education.learner.withdrawn.v1")
DROPPED = ("reason", "programme")

journey = sa.table(
    "journey_entry",
    sa.column("source", sa.String),
    sa.column("event_id", sa.String),
    sa.column("type", sa.String),
    sa.column("facts", sa.JSON),
)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(journey.c.source, journey.c.event_id, journey.c.type, journey.c.facts).where(
            journey.c.type.in_([*SUCCESSORS, *NOTED])
        )
    ).all()
    for source, event_id, event_type, facts in rows:
        facts = dict(facts)
        if event_type in NOTED:
            facts["explained"] = bool(facts.pop("note", None))
        else:
            for name in DROPPED:
                facts.pop(name, None)
            event_type = SUCCESSORS[event_type]
        connection.execute(
            journey.update()
            .where(journey.c.source == source, journey.c.event_id == event_id)
            .values(type=event_type, facts=facts)
        )


def downgrade() -> None:
    """What staff wrote is gone from the journey, as it should be; the types go back."""
    connection = op.get_bind()
    for old, new in SUCCESSORS.items():
        connection.execute(journey.update().where(journey.c.type == new).values(type=old))
