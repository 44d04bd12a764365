"""Each service's versioned migrations build exactly the schema its models describe."""

import importlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, inspect
from sqlmodel import col, select

from shared.runtime.db import Database
from shared.runtime.migrations import config_for, differences
from shared.service.handle import RUNTIME_TABLES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", ["settlement", "education", "employment", "volunteering"])
async def test_migrating_an_empty_store_gives_the_models_schema(service: str, database_url: str) -> None:
    tables = [*importlib.import_module(f"services.{service}.store").TABLES, *RUNTIME_TABLES]
    database = Database.from_url(database_url, tables)
    try:
        await database.migrate(ROOT / "services" / service / "migrations")
        await database.migrate(ROOT / "services" / service / "migrations")  # the second run changes nothing
        async with database.engine.connect() as connection:
            missing_or_extra = await connection.run_sync(differences, database.tables)
        assert missing_or_extra == [], "a model changed without a migration: add a revision"
    finally:
        await database.dispose()


async def test_settlements_made_before_the_tally_are_counted_into_it(database_url: str) -> None:
    from services.settlement.models import Municipality, Settlement, SettlementTally

    script = ROOT / "services" / "settlement" / "migrations"
    database = Database.from_url(database_url, [])
    # (district, reunified, born): the last two were 17 and 18 on the day settled (2026-03-01).
    settled = [
        ("Alna", False, None),
        ("Alna", False, None),
        ("Alna", True, None),
        ("Grorud", False, None),
        ("Grorud", True, date(2008, 3, 2)),
        ("Grorud", True, date(2008, 3, 1)),
    ]
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(config_for(script, sync), "0002"))
        async with database.transaction() as session:  # settlements as the service made them before
            session.add(Municipality(code="0301", country="NO", name="Oslo", districts=["Alna", "Grorud"]))
            for n, (district, reunified, born) in enumerate(settled):
                newcomer = newcomer_row(n)
                newcomer.birth_date = born or newcomer.birth_date
                await insert_before_search_name(session, newcomer)
                session.add(
                    Settlement(
                        newcomer_id=newcomer.id,
                        municipality_code="0301",
                        district=district,
                        settled_on=date(2026, 3, 1),
                        year=2026,
                        family_reunification=reunified,
                    )
                )
        await database.migrate(script)
        async with database.session() as session:
            tallies = (
                await session.exec(select(SettlementTally).order_by(col(SettlementTally.district)))
            ).all()
        counts = [
            (t.district, t.by_quota, t.family_reunification, t.family_reunification_children) for t in tallies
        ]
        assert counts == [("Alna", 2, 1, 0), ("Grorud", 1, 2, 1)]
    finally:
        await database.dispose()


async def test_newcomers_registered_before_the_search_name_are_found_by_it(database_url: str) -> None:
    from services.settlement.models import Newcomer

    script = ROOT / "services" / "settlement" / "migrations"
    database = Database.from_url(database_url, [])
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(config_for(script, sync), "0003"))
        async with database.transaction() as session:
            for n, (given, family) in enumerate([("Øyvind", "ÆRØSKØBING"), ("Zeynep", "İstanbul")]):
                row = newcomer_row(n)
                row.given_name, row.family_name = given, family
                await insert_before_search_name(session, row)
        await database.migrate(script)
        async with database.session() as session:
            names = (
                await session.exec(select(Newcomer.search_name).order_by(col(Newcomer.family_name)))
            ).all()
        assert list(names) == ["øyvind ærøskøbing", "zeynep istanbul"]
    finally:
        await database.dispose()


async def test_newcomers_registered_before_registered_in_stay_with_their_municipality(
    database_url: str,
) -> None:
    from services.settlement.models import Newcomer

    script = ROOT / "services" / "settlement" / "migrations"
    database = Database.from_url(database_url, [])
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(config_for(script, sync), "0003"))
        async with database.transaction() as session:
            for n, code in enumerate(["0301", None]):
                row = newcomer_row(n)
                row.municipality_code = code
                await insert_before_search_name(session, row)
        await database.migrate(script)
        async with database.session() as session:
            rows = (
                await session.exec(select(Newcomer.registered_in).order_by(col(Newcomer.family_name)))
            ).all()
        assert list(rows) == ["0301", None]  # the settled one stays seen by Oslo's staff
    finally:
        await database.dispose()


async def insert_before_search_name(session: Any, newcomer: Any) -> None:
    """`newcomer` inserted as a store older than revision 0004 holds it: with no search name."""
    newer = {"search_name", "registered_in"}
    columns = [column for column in type(newcomer).__table__.columns if column.name not in newer]
    table = Table("newcomer", MetaData(), *(column._copy() for column in columns))
    await session.exec(table.insert().values({c.name: getattr(newcomer, c.name) for c in columns}))


def newcomer_row(n: int) -> Any:
    from services.settlement.models import EducationLevel, Newcomer, NewcomerStatus, Sex
    from shared.contracts.events.settlement import ArrivalRoute

    return Newcomer(
        given_name="Amira",
        family_name=f"Family {n}",
        birth_date=date(1990, 4, 2),
        sex=Sex.FEMALE,
        country_of_origin="SY",
        education_level=EducationLevel.SECONDARY,
        arrival_route=ArrivalRoute.RESETTLEMENT,
        identity_key=f"family {n}",
        status=NewcomerStatus.SETTLED,
    )


async def test_journeys_kept_before_the_v2_events_lose_what_staff_wrote(database_url: str) -> None:
    from sqlalchemy import text

    from services.settlement.models import JourneyEntry

    script = ROOT / "services" / "settlement" / "migrations"
    database = Database.from_url(database_url, [])
    written = {
        "samvirke.employment.placement.ended.v1": {"placement_id": "p-1", "reason": "Amira was ill"},
        "samvirke.employment.case.closed.v1": {"end_reason": "other", "note": "Amira moved to her aunt"},
        "samvirke.education.learner.withdrawn.v1": {"reason": "other", "note": None},
        "samvirke.settlement.newcomer.settled.v1": {"district": "Grorud"},
    }
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(config_for(script, sync), "0009"))
        async with database.transaction() as session:
            for n, (event_type, facts) in enumerate(written.items()):
                session.add(
                    JourneyEntry(
                        source="/samvirke/x",
                        event_id=f"e-{n}",
                        newcomer_id=newcomer_row(n).id,
                        agency="employment",
                        type=event_type,
                        occurred_on=date(2026, 1, 1),
                        recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
                        facts=facts,
                    )
                )
        await database.migrate(script)
        async with database.session() as session:
            entries = (await session.exec(select(JourneyEntry).order_by(col(JourneyEntry.event_id)))).all()
            stored = (await session.exec(text("SELECT facts FROM journey_entry"))).all()  # type: ignore[call-overload]
        assert [(e.type, e.facts) for e in entries] == [
            ("samvirke.employment.placement.ended.v2", {"placement_id": "p-1"}),
            ("samvirke.employment.case.closed.v1", {"end_reason": "other", "explained": True}),
            ("samvirke.education.learner.withdrawn.v1", {"reason": "other", "explained": False}),
            ("samvirke.settlement.newcomer.settled.v1", {"district": "Grorud"}),
        ]
        assert not any("Amira" in str(row) for row in stored)
    finally:
        await database.dispose()


async def test_the_job_centres_tasks_move_into_its_worklist(database_url: str) -> None:
    from sqlalchemy import text

    from services.employment.models import Case
    from shared.runtime.worklist import TaskChange, WorkTask

    script = ROOT / "services" / "employment" / "migrations"
    database = Database.from_url(database_url, [])
    case = Case(newcomer_id=uuid4(), municipality_code="0301", settled_on=date(2026, 1, 5))
    open_task, done_task = uuid4(), uuid4()
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(config_for(script, sync), "0003"))
        async with database.transaction() as session:
            session.add(case)
        async with database.engine.begin() as connection:  # the tasks as the service kept them before
            for task_id, status, done_at in ((open_task, "OPEN", None), (done_task, "DONE", "2026-02-03")):
                await connection.execute(
                    text(
                        "INSERT INTO task (id, newcomer_id, kind, description, due_on, status, created_at, "
                        "done_at) VALUES (:id, :newcomer, 'unexplained_absence', 'Unexplained absence in 3 "
                        "of 10 sessions', :due, :status, :created, :done)"
                    ),
                    {
                        "id": task_id.hex if "sqlite" in database_url else task_id,
                        "newcomer": case.newcomer_id.hex if "sqlite" in database_url else case.newcomer_id,
                        "due": date(2026, 2, 1),
                        "status": status,
                        "created": datetime(2026, 1, 25, tzinfo=UTC),
                        "done": datetime.fromisoformat(done_at).replace(tzinfo=UTC) if done_at else None,
                    },
                )
        await database.migrate(script)
        async with database.session() as session:
            tasks = {t.id: t for t in (await session.exec(select(WorkTask))).all()}
            history = (await session.exec(select(TaskChange))).all()
        async with database.engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        assert "task" not in names
        assert {(t.kind, t.status, t.municipality_code, t.due_on) for t in tasks.values()} == {
            ("absence_alert", "open", "0301", date(2026, 2, 1)),
            ("absence_alert", "done", "0301", date(2026, 2, 1)),
        }
        assert tasks[done_task].closed_at is not None
        assert tasks[open_task].title == "Unexplained absence in 3 of 10 sessions"
        assert sorted(c.action for c in history) == ["raised", "raised"]
    finally:
        await database.dispose()
