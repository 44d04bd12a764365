"""The CloudEvents envelope: what we write, and what we refuse to read."""

import re
from uuid import uuid4

import pytest

from shared.contracts.envelope import Envelope, InvalidEvent
from shared.contracts.events import CATALOGUE, COMPACTED_TOPICS, TOPICS
from tests.factories import settled


def as_record(envelope: Envelope) -> list[tuple[str, bytes]]:
    return [(name, value.encode()) for name, value in envelope.headers().items()]


def test_envelope_carries_cloudevents_attributes_as_kafka_headers() -> None:
    event = settled()
    envelope = Envelope.wrap(
        event, source="/samvirke/settlement", traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    )
    headers = envelope.headers()
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_type"] == "samvirke.settlement.newcomer.settled.v1"
    assert headers["ce_source"] == "/samvirke/settlement"
    assert headers["ce_subject"] == str(event.newcomer_id)
    assert headers["ce_time"].endswith("Z")
    assert headers["content-type"] == "application/json"
    assert headers["traceparent"].startswith("00-")
    assert envelope.key == str(event.newcomer_id).encode()


def test_envelope_round_trips_through_a_kafka_record() -> None:
    event = settled()
    envelope = Envelope.wrap(event, source="/samvirke/settlement")
    read = Envelope.from_record(as_record(envelope), envelope.data)
    assert read.id == envelope.id
    assert read.decode() == event


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda h: h.pop("ce_id"), "missing header(s) ce_id"),
        (lambda h: h.update(ce_specversion="0.3"), "unsupported ce_specversion"),
        (lambda h: h.update({"content-type": "application/avro"}), "unsupported content-type"),
        (lambda h: h.update(ce_time="yesterday"), "ce_time is not RFC 3339"),
        (lambda h: h.update(ce_type="samvirke.settlement.newcomer.settled.v9"), "unknown event type"),
        (lambda h: h.update(ce_subject=str(uuid4())), "is not the event's newcomer_id"),
    ],
)
def test_records_that_are_not_valid_events_are_refused_with_the_reason(change, reason) -> None:  # type: ignore[no-untyped-def]
    envelope = Envelope.wrap(settled(), source="/samvirke/settlement")
    headers = envelope.headers()
    change(headers)
    with pytest.raises(InvalidEvent, match=re.escape(reason)):
        Envelope.from_record([(k, v.encode()) for k, v in headers.items()], envelope.data).decode()


@pytest.mark.parametrize(
    ("value", "reason"),
    [(b"\xff\xfe", "not JSON"), (b"[1, 2", "not JSON"), (b'{"newcomer_id": "x"}', "does not match")],
)
def test_unparseable_or_invalid_data_is_refused(value: bytes, reason: str) -> None:
    envelope = Envelope.wrap(settled(), source="/samvirke/settlement")
    with pytest.raises(InvalidEvent, match=reason):
        Envelope.from_record(as_record(envelope), value).decode()


def test_every_catalogued_event_is_versioned_and_belongs_to_an_agency_topic() -> None:
    for event_type, model in CATALOGUE.items():
        assert event_type == model.type
        assert event_type.rsplit(".", 1)[-1].startswith("v"), event_type
        assert model.topic in TOPICS
        assert event_type.split(".")[1] == model.topic.split(".")[0], "typed by its publisher"


def test_case_events_carry_no_names_or_birth_dates() -> None:
    forbidden = {"given_name", "family_name", "name", "birth_date", "address", "phone", "email"}
    for model in CATALOGUE.values():
        if model.topic not in COMPACTED_TOPICS:
            assert forbidden.isdisjoint(model.model_fields), model.type


def test_personal_data_travels_only_on_compacted_per_person_topics() -> None:
    personal = [m for m in CATALOGUE.values() if {"given_name", "phone"} & set(m.model_fields)]
    assert {m.topic for m in personal} == set(COMPACTED_TOPICS)
