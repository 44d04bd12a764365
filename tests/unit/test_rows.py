"""`new_row` builds the row a table model's constructor builds, and the ORM writes it the same way."""

from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from sqlmodel import select

from services.education.models import Course, Learner, LearnerStatus
from services.employment.models import Case, CaseStatus
from services.volunteering.models import MatchRequest, Newcomer
from shared.contracts.events.education import Track
from shared.contracts.events.volunteering import MatchKind
from shared.runtime.db import Database
from shared.runtime.store import new_row


def learner_values() -> dict[str, Any]:
    return {
        "newcomer_id": uuid4(),
        "municipality_code": "0301",
        "district": "Grorud",
        "settled_on": date(2026, 3, 2),
        "status": LearnerStatus.WAITLISTED,
    }


def test_it_holds_what_the_constructor_holds_defaults_included() -> None:
    values = learner_values()
    built, constructed = new_row(Learner, **values), Learner(**values)

    assert built.model_dump(exclude={"opened_at"}) == constructed.model_dump(exclude={"opened_at"})
    assert built.track is Track.CLASSROOM
    assert built.absence_alerted is False
    assert built.opened_at.tzinfo is not None  # the default factory ran, for this row
    assert built.model_fields_set == constructed.model_fields_set == set(values)


def test_each_row_gets_its_own_factory_default() -> None:
    first, second = new_row(Newcomer, id=uuid4()), new_row(Newcomer, id=uuid4())

    first.languages.append("ar")
    assert second.languages == []


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(TypeError, match="no field statuss"):
        new_row(Learner, **learner_values(), statuss="enrolled")
    with pytest.raises(TypeError, match="no field newcomer"):  # a relationship: left unset
        new_row(MatchRequest, newcomer=new_row(Newcomer, id=uuid4()))


async def test_a_request_and_its_newcomer_flush_in_order_from_one_transaction(database_url: str) -> None:
    """Unrelated, requests (M) would be inserted before newcomers (N), breaking the foreign key."""
    database = Database.from_url(database_url, [Newcomer.__table__, MatchRequest.__table__])  # type: ignore[attr-defined]
    await database.create_schema()
    newcomers = [uuid4() for _ in range(3)]
    try:
        async with database.transaction() as session:
            for newcomer_id in newcomers:
                session.add(new_row(Newcomer, id=newcomer_id, municipality_code="0301"))
                session.add(
                    new_row(
                        MatchRequest,
                        newcomer_id=newcomer_id,
                        kind=MatchKind.FRIEND,
                        source="settlement",
                        municipality_code="0301",
                    )
                )
        async with database.session() as session:
            stored = (await session.exec(select(MatchRequest.newcomer_id))).all()
    finally:
        await database.dispose()

    assert sorted(stored) == sorted(newcomers)


async def test_the_orm_writes_it_and_tracks_later_changes(database_url: str) -> None:
    tables = [model.__table__ for model in (Course, Learner, Case)]  # type: ignore[attr-defined]
    database = Database.from_url(database_url, tables)
    await database.create_schema()
    values = learner_values()
    try:
        async with database.transaction() as session:
            learner = new_row(Learner, **values)
            session.add(learner)
            session.add(
                new_row(
                    Case,
                    newcomer_id=values["newcomer_id"],
                    municipality_code="0301",
                    settled_on=values["settled_on"],
                    competence_mapping_due_on=date(2026, 6, 2),
                )
            )
            await session.flush()
            learner.status = LearnerStatus.ENROLLED  # changed after the insert: an UPDATE follows
        async with database.session() as session:
            stored = (await session.exec(select(Learner))).one()
            case = (await session.exec(select(Case))).one()
    finally:
        await database.dispose()

    assert stored.status is LearnerStatus.ENROLLED
    assert stored.district == "Grorud"
    assert stored.track is Track.CLASSROOM
    assert stored.waitlisted_at is None
    assert case.status is CaseStatus.OPEN
    assert case.opened_at is not None
