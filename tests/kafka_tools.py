"""Raw Kafka access for tests: write records as any agency system could, read topics back.

Against a broker the tests started, these connect as its admin (`admin_options`).
"""

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from deploy.local.broker import admin_options
from shared.contracts.envelope import Envelope
from shared.contracts.events import Event


async def produce(
    bootstrap_servers: str, topic: str, records: list[tuple[bytes | None, bytes, dict[str, str]]]
) -> list[tuple[int, int]]:
    """Writes (key, value, headers) records in order; returns each one's (partition, offset).

    All are handed to the producer before any acknowledgement is awaited, so a
    load lands as a backlog in well under a second rather than at the pace of one
    round trip per record, which consumers keep up with: the fault tests act "mid-load"
    on a backlog. The idempotent producer keeps each partition's order.
    """
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, enable_idempotence=True, **admin_options(bootstrap_servers)
    )
    await producer.start()
    try:
        sent = [
            await producer.send(topic, value, key=key, headers=[(k, v.encode()) for k, v in headers.items()])
            for key, value, headers in records
        ]
        return [(metadata.partition, metadata.offset) for metadata in await asyncio.gather(*sent)]
    finally:
        await producer.stop()


def record_of(
    event: Event, *, source: str = "/samvirke/settlement", envelope_id: str | None = None
) -> tuple[bytes, bytes, dict[str, str]]:
    envelope = Envelope.wrap(event, source=source)
    headers = envelope.headers()
    if envelope_id is not None:
        headers["ce_id"] = envelope_id
    return envelope.key, envelope.data, headers


async def read_topic(bootstrap_servers: str, topic: str) -> list[ConsumerRecord[Any, Any]]:
    """Every record the topic holds now, partition by partition."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **admin_options(bootstrap_servers),
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
            ]
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[ConsumerRecord[Any, Any]] = []
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            batch = await consumer.getmany(*partitions, timeout_ms=1000)
            for tp_records in batch.values():
                records.extend(tp_records)
        return records
    finally:
        await consumer.stop()


async def committed(bootstrap_servers: str, group: str) -> dict[tuple[str, int], int]:
    """The consumer group's committed offsets: the next offset it will read, per partition."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **admin_options(bootstrap_servers))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items()}
    finally:
        await admin.close()


async def topics_under(bootstrap_servers: str, prefix: str) -> list[str]:
    """The names of the topics the broker holds under `prefix`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **admin_options(bootstrap_servers))
    await admin.start()
    try:
        return sorted(name for name in await admin.list_topics() if name.startswith(prefix))
    finally:
        await admin.close()


async def compact_soon(
    bootstrap_servers: str, topic: str, partition: int, roll: tuple[bytes, dict[str, str]]
) -> None:
    """Has the broker's log cleaner compact `topic` as soon as it can: segments roll after 100 ms and
    any dirty share is cleanable, tombstones kept 0 ms. `roll` (a key and headers) is written to
    `partition` as a tombstone afterwards to close its active segment, which the cleaner never touches."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **admin_options(bootstrap_servers))
    await admin.start()
    try:
        fast = {  # AlterConfigs sets a topic's whole configuration: the policy is named again
            "cleanup.policy": "compact",
            "segment.ms": "100",
            "min.cleanable.dirty.ratio": "0.01",
            "min.compaction.lag.ms": "0",
            "delete.retention.ms": "0",
        }
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs=fast)])
    finally:
        await admin.close()
    key, headers = roll
    for _ in range(2):  # the second closes the segment the first opened
        await asyncio.sleep(0.5)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, **admin_options(bootstrap_servers))
        await producer.start()
        try:
            await producer.send_and_wait(
                topic,
                None,
                key=key,
                partition=partition,
                headers=[(k, v.encode()) for k, v in headers.items()],
            )
        finally:
            await producer.stop()


def headers_of(record: ConsumerRecord[Any, Any]) -> dict[str, str]:
    return {name: (value or b"").decode() for name, value in record.headers}
