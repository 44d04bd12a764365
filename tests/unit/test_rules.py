"""Each agency's rules for a newly settled newcomer, against a real (SQLite) store."""

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from services.education import handlers as education
from services.education.store import TABLES as EDUCATION_TABLES
from services.education.store import EducationStore
from services.employment import handlers as employment
from services.employment.store import TABLES as EMPLOYMENT_TABLES
from services.employment.store import EmploymentStore
from services.settlement.models import Newcomer, NewcomerCreate
from services.settlement.store import TABLES as SETTLEMENT_TABLES
from shared.contracts.events.settlement import AgeGroup, NewcomerSettled
from shared.domain.dates import add_months
from shared.domain.statutory import load_rule_sets
from shared.runtime.db import Database
from shared.runtime.outbox import OutboxMessage
from tests import factories


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    tables = [
        *SETTLEMENT_TABLES,
        *EDUCATION_TABLES,
        *EMPLOYMENT_TABLES,
        OutboxMessage.__table__,
    ]  # type: ignore[attr-defined]
    db = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'rules.db'}", tables)
    await db.create_schema()
    yield db
    await db.dispose()


async def published(database: Database) -> list[str]:
    async with database.session() as session:
        return [
            row.type
            for row in (await session.exec(select(OutboxMessage).order_by(OutboxMessage.position))).all()
        ]


def settled(
    *, age_group: AgeGroup = AgeGroup.ADULT, consent: bool = True, on: date = date(2026, 1, 31)
) -> NewcomerSettled:
    return factories.settled(
        district="Grorud", settled_on=on, age_group=age_group, volunteer_contact_consent=consent
    )


def person(birth_date: date = date(1990, 4, 2)) -> NewcomerCreate:
    return NewcomerCreate(
        given_name="Yonas", family_name="Tesfaye", birth_date=birth_date, sex="male", country_of_origin="er"
    )


@pytest.mark.parametrize(
    ("birth_date", "settled_on", "group"),
    [
        (date(2008, 2, 1), date(2026, 2, 1), AgeGroup.ADULT),  # eighteenth birthday that day
        (date(2008, 2, 2), date(2026, 2, 1), AgeGroup.CHILD),  # one day short
        (date(2019, 6, 1), date(2026, 2, 1), AgeGroup.CHILD),
    ],
)
def test_age_group_is_decided_on_the_settlement_date(
    birth_date: date, settled_on: date, group: AgeGroup
) -> None:
    newcomer = Newcomer.model_validate(person(birth_date=birth_date), update={"identity_key": "k"})
    assert newcomer.age_group_on(settled_on) is group


async def test_settled_adult_gets_a_learner_record_once(database: Database) -> None:
    event = settled()
    async with database.transaction() as session:
        assert await education.open_learner_record(EducationStore(session), event) is not None
        assert await education.open_learner_record(EducationStore(session), event) is None
    assert await published(database) == ["samvirke.education.learner.waitlisted.v1"]


async def test_settled_child_gets_no_learner_record_and_no_job_centre_case(database: Database) -> None:
    event = settled(age_group=AgeGroup.CHILD)
    async with database.transaction() as session:
        assert await education.open_learner_record(EducationStore(session), event) is None
        assert await employment.open_case(EmploymentStore(session), event, rule_sets=load_rule_sets()) is None
    assert await published(database) == []


async def test_case_is_opened_with_competence_mapping_due_three_months_after_settlement(
    database: Database,
) -> None:
    async with database.transaction() as session:
        case = await employment.open_case(
            EmploymentStore(session), settled(on=date(2026, 11, 30)), rule_sets=load_rule_sets()
        )
    assert case is not None
    assert case.competence_mapping_due_on == date(2027, 2, 28)


@pytest.mark.parametrize(
    ("day", "months", "due"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),
        (date(2026, 5, 15), 12, date(2027, 5, 15)),
    ],
)
def test_month_arithmetic_clamps_to_the_last_day(day: date, months: int, due: date) -> None:
    assert add_months(day, months) == due
