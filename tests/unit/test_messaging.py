"""What the Kafka wiring does before the inbox sees a batch."""

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka.message import KafkaAckableMessage
from faststream.kafka.parser import AioKafkaBatchParser
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.runtime.messaging import _parse_batch, outbox_sender
from shared.runtime.outbox import OutboxMessage


def record(headers: list[tuple[str, bytes | None]]) -> ConsumerRecord:  # type: ignore[type-arg]
    return ConsumerRecord(
        topic="settlement.events",
        partition=0,
        offset=7,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=b"payload",
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=headers,
    )


async def test_a_record_with_unreadable_headers_still_reaches_the_inbox_with_its_value() -> None:
    parser = AioKafkaBatchParser(msg_class=KafkaAckableMessage, regex=None)
    good = record([("ce_id", b"1")])
    bad = record([("ce_id", b"\xff\xfe"), ("empty", None)])
    message = await _parse_batch((good, bad), parser.parse_batch)
    parsed_good, parsed_bad = message.raw_message
    assert parsed_good is good, "readable records pass untouched"
    assert (parsed_bad.value, parsed_bad.offset) == (b"payload", 7)
    assert dict(parsed_bad.headers) == {"ce_id": "\ufffd\ufffd".encode(), "empty": b""}


async def test_faststream_alone_would_stop_the_batch_at_such_a_record() -> None:
    parser = AioKafkaBatchParser(msg_class=KafkaAckableMessage, regex=None)
    with pytest.raises(UnicodeDecodeError):
        await parser.parse_batch((record([("ce_id", b"\xff")]),))


class FakePublisher:
    topic = "employment.events"

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def publish(self, data: bytes, *, key: bytes, headers: dict[str, str], no_confirm: bool) -> object:
        self.sent.append(
            {"key": key, "headers": headers, "span": trace.get_current_span().get_span_context()}
        )
        return asyncio.sleep(0)


@pytest.mark.parametrize("recording", [True, False], ids=["spans recorded", "no exporter"])
async def test_the_relay_sends_a_row_in_the_trace_that_staged_it(recording: bool) -> None:
    trace_id, span_id = "c" * 32, "d" * 16
    row = OutboxMessage(
        position=1,
        event_id=str(uuid4()),
        topic="employment.events",
        key=str(uuid4()),
        type="no.samvirke.employment.case.opened.v1",
        source="/samvirke/employment",
        time=datetime.now(UTC),
        data=b"{}",
        traceparent=f"00-{trace_id}-{span_id}-01",
    )
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    publisher = FakePublisher()
    send = outbox_sender({"employment.events": publisher}, provider.get_tracer("t") if recording else None)  # type: ignore[dict-item]
    await (await send(row))

    [sent] = publisher.sent
    assert sent["headers"]["traceparent"] == row.traceparent, "the header carries the trace either way"
    if recording:
        [span] = spans.get_finished_spans()
        assert f"{span.context.trace_id:032x}" == trace_id
        assert span.parent is not None
        assert f"{span.parent.span_id:016x}" == span_id
        assert sent["span"] == span.context
    else:
        assert not sent["span"].is_valid, "no span is made for nobody to record"
