"""What the Kafka wiring does before the inbox sees a batch."""

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka.message import KafkaAckableMessage
from faststream.kafka.parser import AioKafkaBatchParser

from shared.messaging import _parse_batch


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
