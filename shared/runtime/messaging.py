"""Kafka wiring for a service: broker, subscriptions, outbox publishing, dead letters."""

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Union

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage, KafkaRouter
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.publisher.usecase import DefaultPublisher
from faststream.message import StreamMessage
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Tracer

from shared.config import ServiceSettings
from shared.contracts.envelope import Envelope
from shared.contracts.events import COMPACTED_TOPICS, Event
from shared.runtime.inbox import EventConsumer
from shared.runtime.outbox import OutboxMessage
from shared.runtime.telemetry import context_from_traceparent


def create_broker(settings: ServiceSettings) -> KafkaBroker:
    """A broker whose producer never loses or reorders an acknowledged event.

    Its publishes are traced by `outbox_sender`, one span each where spans
    are exported; FastStream's telemetry middleware, which costs two spans
    and metrics a record, wraps only the consumers (see `subscribe`).
    """
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        security=_security(settings),
        enable_idempotence=True,
        acks="all",
        client_id=settings.service_name,
        log_level=logging.DEBUG,  # one line per message is for debugging, not for production logs
    )


def _security(settings: ServiceSettings) -> BaseSecurity | None:
    """The broker principal the service authenticates as, from its settings (none for PLAINTEXT)."""
    protocol = settings.kafka_security_protocol
    if not protocol.startswith("SASL"):
        return None
    kinds = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}
    kind = kinds[settings.kafka_sasl_mechanism]
    password = settings.kafka_password.get_secret_value()
    return kind(settings.kafka_username, password, use_ssl=protocol == "SASL_SSL")


def declare_outbox_publishers(
    broker: KafkaBroker, settings: ServiceSettings, events: tuple[type[Event], ...]
) -> dict[str, DefaultPublisher]:
    """A publisher per topic the service writes to, documented with the events it carries."""
    by_topic: dict[str, list[type[Event]]] = {}
    for event in events:
        by_topic.setdefault(event.topic, []).append(event)
    return {
        topic: broker.publisher(
            settings.topic_name(topic),
            title=settings.topic_name(topic),
            description="CloudEvents 1.0 (Kafka binary mode), keyed by newcomer id"
            + (", compacted: a null value erases the newcomer" if topic in COMPACTED_TOPICS else "")
            + ". Types: "
            + ", ".join(event.type for event in topic_events),
            schema=topic_events[0] if len(topic_events) == 1 else _union(tuple(topic_events)),
        )
        for topic, topic_events in by_topic.items()
    }


def _union(events: tuple[type[Event], ...]) -> Any:
    return Union[events]  # noqa: UP007 - built at run time from a tuple


def outbox_sender(publishers: dict[str, DefaultPublisher], tracer: Tracer | None) -> Any:
    """Sends an outbox row, in a span of the trace that staged it.

    With no `tracer` (nothing would record the span) the row is sent
    without one: its `traceparent` header, from the row, carries the trace
    on either way.
    """

    async def send(row: OutboxMessage) -> Awaitable[object]:
        envelope = row.envelope()
        publisher = publishers[row.topic]
        with _send_span(tracer, publisher.topic, row, envelope):
            return await publisher.publish(
                row.data, key=envelope.key, headers=envelope.headers(), no_confirm=True
            )

    return send


def _send_span(
    tracer: Tracer | None, topic: str, row: OutboxMessage, envelope: Envelope
) -> AbstractContextManager[object]:
    if tracer is None:
        return contextlib.nullcontext()
    attributes = {
        "messaging.system": "kafka",
        "messaging.operation.type": "send",
        "messaging.destination.name": topic,
        "messaging.message.id": envelope.id,
        "cloudevents.event_type": envelope.type,
        "samvirke.newcomer_id": envelope.subject,
    }
    return tracer.start_as_current_span(
        f"send {topic}",
        context=context_from_traceparent(row.traceparent),  # the trace of the request or event
        kind=SpanKind.PRODUCER,
        attributes=attributes,
    )


def dead_letter_sender(broker: KafkaBroker, settings: ServiceSettings) -> Any:
    async def dead_letter(record: ConsumerRecord[Any, Any], reason: str) -> None:
        await broker.publish(
            record.value or b"",
            settings.dead_letter_topic,
            key=record.key,
            headers=dead_letter_headers(record, reason, settings.service_name),
        )

    return dead_letter


def dead_letter_headers(record: ConsumerRecord[Any, Any], reason: str, consumer: str) -> dict[str, str]:
    """The original headers plus why and where from, for the dead-letter topic."""
    headers = {name: (raw or b"").decode(errors="replace") for name, raw in record.headers}
    headers.update(
        {
            "dlq_reason": reason[:1000],
            "dlq_consumer": consumer,
            "dlq_origin_topic": record.topic,
            "dlq_origin_partition": str(record.partition),
            "dlq_origin_offset": str(record.offset),
            "dlq_failed_at": datetime.now(UTC).isoformat(),
        }
    )
    return headers


def subscribe(
    broker: KafkaBroker,
    settings: ServiceSettings,
    topics: list[str],
    consumer: EventConsumer,
    tracer_provider: TracerProvider,
) -> None:
    """Consumes other agencies' topics from the start of their history, as one group, in batches.

    Offsets are committed by hand after the batch's transaction: a partition
    whose store write must wait is rewound to its first unapplied record and
    paused for a backoff, so the commit never passes it and the other
    partitions keep flowing. If anything else goes wrong, the whole batch is
    rewound and nothing is committed.
    """

    async def on_batch(body: list[bytes], message: KafkaMessage) -> None:
        kafka: AIOKafkaConsumer = message.consumer
        async with consumer.handling() as accepted:
            if not accepted:  # shutting down: this batch is for the next run
                await message.nack()
                return
            try:
                retry = await consumer.consume_batch(message.raw_message)
                for partition, offset in retry.items():
                    kafka.seek(partition, offset)
                    kafka.pause(partition)
                    asyncio.get_running_loop().call_later(
                        consumer.backoff_s(partition), _resume, kafka, partition
                    )
                await message.ack()  # commits what was consumed, which stops at each rewound partition
            except BaseException as error:
                await message.nack()  # rewinds every partition of the batch: it comes again
                if isinstance(error, Exception):
                    await asyncio.sleep(1.0)  # a fault that persists must not spin the loop
                raise

    traced = KafkaRouter(middlewares=[KafkaTelemetryMiddleware(tracer_provider=tracer_provider)])
    traced.subscriber(
        *topics,
        group_id=settings.consumer_group,
        auto_offset_reset="earliest",
        batch=True,
        max_records=settings.consumer_batch_size,
        batch_timeout_ms=20,  # the wait after an empty poll, so an idle consumer answers fast
        ack_policy=AckPolicy.MANUAL,
        parser=_parse_batch,
        decoder=_raw_bodies,
        title=f"{settings.service_name} ← {', '.join(topics)}",
        description="Applies " + ", ".join(consumer.event_types) + "; others are skipped, "
        f"invalid records go to {settings.dead_letter_topic}.",
    )(on_batch)
    broker.include_router(traced)


def _resume(kafka: AIOKafkaConsumer, partition: TopicPartition) -> None:
    if partition in kafka.assignment():  # a rebalance may have moved it; its new owner starts afresh
        kafka.resume(partition)


async def _parse_batch(
    records: tuple[ConsumerRecord[Any, Any], ...],
    parse: Callable[[tuple[ConsumerRecord[Any, Any], ...]], Awaitable[StreamMessage[Any]]],
) -> StreamMessage[Any]:
    # FastStream decodes every header as UTF-8; one malformed record must reach the
    # dead-letter topic rather than stop the batch, so its headers are made readable.
    return await parse(tuple(_readable_headers(record) for record in records))


def _readable_headers(record: ConsumerRecord[Any, Any]) -> ConsumerRecord[Any, Any]:
    try:
        for _, value in record.headers:
            value.decode()
        return record
    except (AttributeError, UnicodeDecodeError):
        headers = [(name, (value or b"").decode(errors="replace").encode()) for name, value in record.headers]
        return dataclasses.replace(record, headers=headers)


async def _raw_bodies(message: StreamMessage[Any]) -> list[bytes]:
    # The envelopes are parsed by EventConsumer, which dead-letters what it cannot read.
    return [record.value or b"" for record in message.raw_message]
