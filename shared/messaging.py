"""Kafka wiring for a service: broker, subscriptions, outbox publishing, dead letters."""

import logging
from collections.abc import Awaitable
from typing import Any, Union

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.publisher.usecase import DefaultPublisher
from faststream.message import StreamMessage
from opentelemetry.sdk.trace import TracerProvider

from .config import ServiceSettings
from .events import COMPACTED_TOPICS, Event
from .inbox import EventConsumer, dead_letter_headers
from .outbox import OutboxMessage


def create_broker(settings: ServiceSettings, tracer_provider: TracerProvider) -> KafkaBroker:
    """A broker whose producer never loses or reorders an acknowledged event."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        client_id=settings.service_name,
        log_level=logging.DEBUG,  # one line per message is for debugging, not for production logs
        middlewares=[KafkaTelemetryMiddleware(tracer_provider=tracer_provider)],
    )


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


def outbox_sender(publishers: dict[str, DefaultPublisher]) -> Any:
    async def send(row: OutboxMessage) -> Awaitable[object]:
        envelope = row.envelope()
        return await publishers[row.topic].publish(
            row.data, key=envelope.key, headers=envelope.headers(), no_confirm=True
        )

    return send


def dead_letter_sender(broker: KafkaBroker, settings: ServiceSettings) -> Any:
    async def dead_letter(record: ConsumerRecord[Any, Any], reason: str) -> None:
        await broker.publish(
            record.value or b"",
            settings.dead_letter_topic,
            key=record.key,
            headers=dead_letter_headers(record, reason, settings.service_name),
        )

    return dead_letter


def subscribe(
    broker: KafkaBroker, settings: ServiceSettings, topics: list[str], consumer: EventConsumer
) -> None:
    """Consumes other agencies' topics from the start of their history, as one group."""

    async def on_record(body: bytes, message: KafkaMessage) -> None:
        await consumer.consume(message.raw_message)

    broker.subscriber(
        *topics,
        group_id=settings.consumer_group,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_raw_body,
        title=f"{settings.service_name} ← {', '.join(topics)}",
        description="Applies " + ", ".join(consumer.event_types) + "; others are skipped, "
        f"invalid records go to {settings.dead_letter_topic}.",
    )(on_record)


async def _raw_body(message: StreamMessage[Any]) -> bytes:
    # The envelope is parsed by EventConsumer, which dead-letters what it cannot read.
    return message.body
