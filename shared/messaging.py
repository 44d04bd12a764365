"""Kafka wiring for a service: broker, subscriptions, outbox publishing, dead letters."""

import logging
from collections.abc import Awaitable
from typing import Any

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.publisher.usecase import DefaultPublisher
from faststream.message import StreamMessage
from opentelemetry.sdk.trace import TracerProvider

from .config import ServiceSettings
from .events import Event
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


def declare_outbox_publisher(
    broker: KafkaBroker, settings: ServiceSettings, events: tuple[type[Event], ...]
) -> DefaultPublisher:
    """The publisher for the service's own topic, documented with the events it carries."""
    return broker.publisher(
        settings.topic,
        title=settings.topic,
        description="CloudEvents 1.0 (Kafka binary mode), keyed by newcomer id. Types: "
        + ", ".join(event.type for event in events),
        schema=events[0] if len(events) == 1 else _union(events),
    )


def _union(events: tuple[type[Event], ...]) -> Any:
    from typing import Union

    return Union[events]  # noqa: UP007 - built at run time from a tuple


def outbox_sender(publisher: DefaultPublisher) -> Any:
    async def send(row: OutboxMessage) -> Awaitable[object]:
        envelope = row.envelope()
        return await publisher.publish(
            envelope.data, key=envelope.key, headers=envelope.headers(), no_confirm=True
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
