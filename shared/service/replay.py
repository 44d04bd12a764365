"""Replay: rebuild what a service derived from other agencies' events by reading them again.

Every topic the service consumes is read from the start of its history and
each record goes through the service's own inbox consumer: events already
applied change nothing, missing effects are rebuilt, and bad records are
dead-lettered as usual. `from_scratch` first forgets which events were
applied (the inbox), so every event is applied again — handlers are written
to be idempotent on state, so nothing is doubled. Afterwards the reactions
the replay staged are published, and the service's consumer group is moved
to where the replay ended, so the service resumes from there.

Run it while the service is stopped: it refuses while its consumer group
has live members.
"""

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError
from sqlalchemy import delete

from shared.config import ServiceSettings
from shared.runtime.inbox import EventConsumer, InboxEntry
from shared.service.handle import Service

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplayReport:
    topics: list[str]
    records: int
    seconds: float
    published: int

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


class ServiceRunning(RuntimeError):
    """The service's consumer group has live members: stop the service before replaying."""


async def replay(service: Service[Any], *, from_scratch: bool = False, batch: int = 500) -> ReplayReport:
    settings, consumer, topics = service.settings, service.consumer, list(service.topics.consumed)
    if consumer is None or not topics:
        return ReplayReport(topics=[], records=0, seconds=0.0, published=0)
    await _refuse_while_running(settings)
    database = service.database
    await database.migrate(service.migrations)
    if from_scratch:
        async with database.transaction() as session:
            await session.exec(delete(InboxEntry))
    await service.create_topics()  # a new cluster: what the replay publishes needs its topics
    broker = service.broker
    await broker.connect()  # publishing only: no subscriber starts
    # "earliest", or assigning partitions starts a reset to the end that races the seek to the start.
    reader = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **settings.kafka_client_options(),
    )
    await reader.start()
    started = time.perf_counter()
    try:
        partitions = await _partitions(settings, topics)
        reader.assign(partitions)
        ends = await reader.end_offsets(partitions)
        records = await _read_to(ends, reader, consumer, batch)
        seconds = time.perf_counter() - started
        published = 0
        while sent := await service.relay.publish_pending():
            published += sent
        await _resume_group_at(settings, ends)
    finally:
        await reader.stop()
        await broker.stop()
        await database.dispose()
    report = ReplayReport(topics=topics, records=records, seconds=seconds, published=published)
    log.info(
        "replayed %d records from %s in %.1fs (%.0f/s); published %d reactions",
        records,
        ", ".join(topics),
        seconds,
        report.per_second,
        published,
    )
    return report


async def _read_to(
    ends: dict[TopicPartition, int], reader: AIOKafkaConsumer, consumer: EventConsumer, batch: int
) -> int:
    """Applies every record from the start of each partition to `ends`; returns how many."""
    await reader.seek_to_beginning(*ends)
    records = 0
    remaining = {tp for tp, end in ends.items() if end > 0}
    while remaining:
        fetched = await reader.getmany(*remaining, timeout_ms=1000, max_records=batch)
        wanted = [r for tp, tp_records in fetched.items() for r in tp_records if r.offset < ends[tp]]
        retry = await consumer.consume_batch(wanted)
        for tp, offset in retry.items():
            reader.seek(tp, offset)
        if retry:
            await asyncio.sleep(max(consumer.backoff_s(tp) for tp in retry))
        records += sum(
            1 for r in wanted if r.offset < retry.get(TopicPartition(r.topic, r.partition), r.offset + 1)
        )
        remaining = {tp for tp in remaining if await reader.position(tp) < ends[tp]}
    return records


async def _partitions(settings: ServiceSettings, topics: list[str]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, **settings.kafka_client_options()
    )
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return sorted(
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        for partition in topic["partitions"]
    )


async def _described(admin: AIOKafkaAdminClient, group: str, wait_s: float = 30.0) -> Any:
    # A broker just started has no group coordinator for a while (it creates its offsets
    # topic on first use): wait for one rather than fail the replay.
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return await admin.describe_consumer_groups([group])
        except GroupCoordinatorNotAvailableError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _refuse_while_running(settings: ServiceSettings) -> None:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, **settings.kafka_client_options()
    )
    await admin.start()
    try:
        described = await _described(admin, settings.consumer_group)
        for group in described:
            for _code, name, _state, _protocol_type, _protocol, members, *_ in getattr(group, "groups", []):
                if name == settings.consumer_group and members:
                    raise ServiceRunning(
                        f"consumer group {name} has {len(members)} live member(s): stop the service first"
                    )
    finally:
        await admin.close()


async def _resume_group_at(settings: ServiceSettings, ends: dict[TopicPartition, int]) -> None:
    group = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.consumer_group,
        enable_auto_commit=False,
        **settings.kafka_client_options(),
    )
    await group.start()
    try:
        group.assign(list(ends))
        await group.commit({tp: offset for tp, offset in ends.items() if offset > 0})
    finally:
        await group.stop()
