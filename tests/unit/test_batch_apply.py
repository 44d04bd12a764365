"""A batch of events applies in a few statements, whatever its size, with the same effects as one by one."""

import sqlite3
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, event
from sqlmodel import func, select

from services.education.config import EducationSettings
from services.education.main import create_app
from services.education.models import Learner, LearnerStatus
from services.settlement.config import SettlementSettings
from services.settlement.main import create_app as create_settlement
from services.settlement.models import JourneyEntry
from services.volunteering.config import VolunteeringSettings
from services.volunteering.main import create_app as create_volunteering
from services.volunteering.models import MatchRequest, Newcomer
from shared.config import ServiceSettings
from shared.contracts.envelope import Envelope
from shared.contracts.events.education import LearnerWaitlisted, Track
from shared.runtime.inbox import EventConsumer, InboxEntry
from shared.runtime.outbox import OutboxMessage
from shared.service import service_of
from tests.unit.test_inbox import record, settled

SETTLEMENT = "/samvirke/settlement"


@pytest.fixture
async def education(database_url: str, tmp_path: Any) -> AsyncIterator[FastAPI]:
    app = await migrated(create_app, EducationSettings, database_url, tmp_path)
    yield app
    await service_of(app).database.dispose()


class Statements:
    def __init__(self, app: FastAPI) -> None:
        self.count = 0
        event.listen(service_of(app).database.engine.sync_engine, "before_cursor_execute", self.seen)

    def seen(self, *_: Any) -> None:
        self.count += 1


async def count(app: FastAPI, table: Any) -> int:
    async with service_of(app).database.session() as session:
        return int((await session.exec(select(func.count()).select_from(table))).one())


async def test_settlements_apply_in_the_same_few_statements_for_10_or_300(education: FastAPI) -> None:
    consumer: EventConsumer = service_of(education).consumer
    statements = Statements(education)
    per_batch = []
    offset = 0
    for size in (10, 300):
        records = [record(Envelope.wrap(settled(), source="/samvirke/settlement")) for _ in range(size)]
        for r in records:
            r.offset, offset = offset, offset + 1
        before = statements.count
        assert await consumer.consume_batch(records) == {}
        per_batch.append(statements.count - before)

    assert per_batch[0] == per_batch[1] <= 12, per_batch
    assert await count(education, Learner) == 310
    assert await count(education, InboxEntry) == 310
    assert await count(education, OutboxMessage) == 310  # each waitlisted: no course in Oslo yet


async def test_a_batch_sees_its_own_records_and_those_of_earlier_batches(education: FastAPI) -> None:
    consumer: EventConsumer = service_of(education).consumer
    first = settled()
    again = first.model_copy()  # settlement told twice, as two events
    later = first.model_copy()

    batch = [
        record(Envelope.wrap(e, source="/samvirke/settlement"), offset=i)
        for i, e in enumerate([first, again])
    ]
    assert await consumer.consume_batch(batch) == {}
    assert (
        await consumer.consume_batch([record(Envelope.wrap(later, source="/samvirke/settlement"), offset=2)])
        == {}
    )

    async with service_of(education).database.session() as session:
        learners = (await session.exec(select(Learner))).all()
        waitlisted = (await session.exec(select(OutboxMessage.type))).all()
    assert [(x.newcomer_id, x.status) for x in learners] == [(first.newcomer_id, LearnerStatus.WAITLISTED)]
    assert waitlisted == ["samvirke.education.learner.waitlisted.v1"]
    assert await count(education, InboxEntry) == 3


async def migrated(
    create: Callable[[Any], FastAPI], settings: type[ServiceSettings], database_url: str, tmp_path: Any
) -> FastAPI:
    """A service's app on a migrated store; its consumer is handed batches directly."""
    app = create(
        settings(
            oidc_issuers=["https://issuer.test/realms/samvirke"],  # no request here asks it
            kafka_bootstrap_servers="127.0.0.1:9",  # never contacted
            data_dir=str(tmp_path),
            database_url=database_url,
        )
    )
    await service_of(app).database.migrate(service_of(app).migrations)
    return app


async def migrated_settlement(database_url: str, tmp_path: Any) -> FastAPI:
    return await migrated(create_settlement, SettlementSettings, database_url, tmp_path)


async def test_journeys_take_each_event_once_in_as_few_statements_when_applied_again(
    database_url: str, tmp_path: Any
) -> None:
    settlement = await migrated_settlement(database_url, tmp_path)
    database = service_of(settlement).database
    try:
        events = [settled() for _ in range(40)]
        reactions = [
            LearnerWaitlisted(
                newcomer_id=e.newcomer_id,
                municipality_code="0301",
                track=Track.CLASSROOM,
                reason="no course",
                waitlisted_on=e.settled_on,
            )
            for e in events
        ]
        records = [
            record(Envelope.wrap(e, source="/samvirke/settlement"), offset=i) for i, e in enumerate(events)
        ] + [
            record(Envelope.wrap(e, source="/samvirke/education"), offset=i) for i, e in enumerate(reactions)
        ]
        statements = Statements(settlement)
        assert await service_of(settlement).consumer.consume_batch(records) == {}
        first = statements.count
        async with database.transaction() as session:  # as replay --from-scratch does
            await session.exec(delete(InboxEntry))
        before = statements.count
        assert await service_of(settlement).consumer.consume_batch(records) == {}

        again = statements.count - before
        # again: nothing to insert but the inbox rows; lookups take one statement per source (two here)
        assert again < first <= 8, (first, again)
        assert await count(settlement, JourneyEntry) == 80
    finally:
        await database.dispose()


async def test_volunteering_applies_settlements_half_without_consent_in_the_same_few_statements(
    database_url: str, tmp_path: Any
) -> None:
    """Those who did not consent are dropped before the transaction, the others' requests written together."""
    volunteering = await migrated(create_volunteering, VolunteeringSettings, database_url, tmp_path)
    try:
        statements = Statements(volunteering)
        per_batch = []
        offset = 0
        for size in (10, 300):
            records = []
            for n in range(size):
                event = settled().model_copy(update={"volunteer_contact_consent": n % 2 == 0})
                records.append(record(Envelope.wrap(event, source=SETTLEMENT), offset=offset))
                offset += 1
            before = statements.count
            assert await service_of(volunteering).consumer.consume_batch(records) == {}
            per_batch.append(statements.count - before)

        assert per_batch[0] == per_batch[1] <= 12, per_batch
        assert await count(volunteering, Newcomer) == 155
        assert await count(volunteering, MatchRequest) == 155
        assert await count(volunteering, InboxEntry) == 155  # not even the others' event ids
        assert await count(volunteering, OutboxMessage) == 310  # each request opened, and its task
    finally:
        await service_of(volunteering).database.dispose()


async def test_volunteering_opens_one_request_whether_told_twice_in_a_batch_or_across_batches(
    database_url: str, tmp_path: Any
) -> None:
    volunteering = await migrated(create_volunteering, VolunteeringSettings, database_url, tmp_path)
    try:
        consumer: EventConsumer = service_of(volunteering).consumer
        first = settled()
        told = [first, first.model_copy(), settled()]  # the first newcomer twice, as two events
        batch = [record(Envelope.wrap(e, source=SETTLEMENT), offset=n) for n, e in enumerate(told)]
        assert await consumer.consume_batch(batch) == {}
        again = record(Envelope.wrap(first.model_copy(), source=SETTLEMENT), offset=3)
        assert await consumer.consume_batch([again]) == {}

        async with service_of(volunteering).database.session() as session:
            requests = (await session.exec(select(MatchRequest.newcomer_id))).all()
        assert sorted(requests) == sorted([first.newcomer_id, told[2].newcomer_id])
        assert await count(volunteering, InboxEntry) == 4
    finally:
        await service_of(volunteering).database.dispose()


async def test_looking_up_a_batch_uses_the_primary_keys_on_sqlite(tmp_path: Any) -> None:
    """Inbox and journal only grow: a lookup that scanned them would slow every batch as history builds up.

    (SQLite's query plans: it scans for a row-value list, which PostgreSQL matches with its index.)
    """
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    settlement = await migrated_settlement(database_url, tmp_path)
    database = service_of(settlement).database
    selects: list[tuple[str, Any]] = []

    def seen(_connection: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append((statement, parameters))

    try:
        events = [settled() for _ in range(30)]
        records = [
            record(Envelope.wrap(e, source="/samvirke/settlement"), offset=i) for i, e in enumerate(events)
        ]
        event.listen(database.engine.sync_engine, "before_cursor_execute", seen)
        assert await service_of(settlement).consumer.consume_batch(records) == {}
    finally:
        await database.dispose()

    looked_up = [s for s in selects if "FROM inbox" in s[0] or "FROM journey_entry" in s[0]]
    assert len(looked_up) >= 2, selects  # the inbox's and the journal's
    with sqlite3.connect(database_url.split("///", 1)[1]) as connection:
        for statement, parameters in looked_up:
            plan = " / ".join(
                row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )
            assert "SCAN inbox" not in plan, (statement, plan)
            assert "SCAN journey_entry" not in plan, (statement, plan)
