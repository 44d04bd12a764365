"""Throughput: consumers applying settlements, beside a bare consumer; the relay, beside a bare producer."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from fastapi import FastAPI
from sqlmodel import func, select

from services.education.config import EducationSettings
from services.education.main import create_app as create_education
from services.employment.config import EmploymentSettings
from services.employment.main import create_app as create_employment
from services.settlement.config import SettlementSettings
from services.settlement.main import create_app as create_settlement
from services.volunteering.config import VolunteeringSettings
from services.volunteering.main import create_app as create_volunteering
from shared.config import ServiceSettings
from shared.contracts.envelope import Envelope
from shared.runtime.inbox import InboxEntry
from shared.runtime.outbox import OutboxMessage, stage
from shared.runtime.topics import ensure_topics
from shared.service import service_of
from shared.service.replay import replay
from tests.factories import settled

# The in-process services here answer no HTTP request, so they never ask their issuer for keys.
NO_ISSUER = ["https://issuer.invalid/realms/samvirke"]


def settlement_records(count: int) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    """(key, value, headers) of `count` settlements, as settlement's relay sends them."""
    records = []
    for _ in range(count):
        envelope = Envelope.wrap(settled(), source="/samvirke/settlement")
        records.append(
            (envelope.key, envelope.data, [(k, v.encode()) for k, v in envelope.headers().items()])
        )
    return records


async def produce_settlements(bootstrap: str, topic: str, count: int) -> None:
    await ensure_topics(bootstrap, [topic], partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        sent = []
        for key, value, headers in settlement_records(count):
            sent.append(await producer.send(topic, value, key=key, headers=headers))
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def bare_consumer_rate(bootstrap: str, topic: str, count: int) -> float:
    """A plain aiokafka consumer reading the topic from the start, doing nothing with the records."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, [topic])
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        started, seen = time.perf_counter(), 0
        while seen < count:
            batch = await consumer.getmany(timeout_ms=1000, max_records=1000)
            seen += sum(len(records) for records in batch.values())
        return count / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def partitions_of(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    await consumer._client.force_metadata_update()  # a fresh client knows no topics yet
    return [
        TopicPartition(topic, p)
        for topic in topics
        for p in sorted(consumer.partitions_for_topic(topic) or ())
    ]


# Each service that acts on settlements: how to assemble it.
CONSUMERS: dict[str, tuple[Callable[..., FastAPI], type[ServiceSettings]]] = {
    "education": (create_education, EducationSettings),
    "employment": (create_employment, EmploymentSettings),
    "volunteering": (create_volunteering, VolunteeringSettings),
}


def consumer(name: str, bootstrap: str, prefix: str, data_dir: Path, database_url: str = "") -> FastAPI:
    create, settings = CONSUMERS[name]
    return create(
        settings(
            oidc_issuers=NO_ISSUER,
            kafka_bootstrap_servers=bootstrap,
            kafka_topic_prefix=prefix,
            data_dir=str(data_dir),
            database_url=database_url,
        )
    )


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[None]:
    async with app.router.lifespan_context(app):
        yield


async def apply_rate(app: FastAPI, count: int) -> float:
    """Events per second the running service applies from its group's start (inbox + store + outbox).

    Timed from the first applied event to the last, so start-up and the
    group join are not counted.
    """

    async def applied() -> int:
        async with service_of(app).database.session() as session:
            return int((await session.exec(select(func.count()).select_from(InboxEntry))).one())

    async with serving(app):
        while (first := await applied()) == 0:  # noqa: ASYNC110 - polling another process's work
            await asyncio.sleep(0.01)
        started = time.perf_counter()
        while (done := await applied()) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        return (done - first) / (time.perf_counter() - started)


async def replay_rate(app: FastAPI) -> tuple[float, int]:
    report = await replay(service_of(app), from_scratch=True)
    return report.per_second, report.records


async def relay_rate(bootstrap: str, prefix: str, data_dir: Path, count: int) -> float:
    """Publishing `count` staged outbox rows with settlement's relay, timed until the outbox is empty."""
    app = create_settlement(
        SettlementSettings(
            oidc_issuers=NO_ISSUER,
            kafka_bootstrap_servers=bootstrap,
            kafka_topic_prefix=prefix,
            data_dir=str(data_dir),
        )
    )
    database, relay, broker = service_of(app).database, service_of(app).relay, service_of(app).broker
    await ensure_topics(bootstrap, [f"{prefix}settlement.events"], partitions=3)
    await database.migrate(service_of(app).migrations)
    for start in range(0, count, 1000):
        async with database.session() as session, session.begin():
            for _ in range(min(1000, count - start)):
                stage(session, settled(), source="/samvirke/settlement")
    await broker.connect()
    try:
        started = time.perf_counter()
        sent = 0
        while batch := await relay.publish_pending():
            sent += batch
        seconds = time.perf_counter() - started
        async with database.session() as session:
            left = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
        if sent != count or left:
            raise RuntimeError(f"relay sent {sent} of {count}, {left} left")
        return count / seconds
    finally:
        await broker.stop()
        await database.dispose()


async def bare_producer_rate(bootstrap: str, topic: str, count: int) -> float:
    """A plain idempotent aiokafka producer (acks=all) sending records like the relay's."""
    await ensure_topics(bootstrap, [topic], partitions=3)
    records = settlement_records(count)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        started = time.perf_counter()
        acks: list[Any] = [
            await producer.send(topic, value, key=key, headers=headers) for key, value, headers in records
        ]
        await asyncio.gather(*acks)
        return count / (time.perf_counter() - started)
    finally:
        await producer.stop()
