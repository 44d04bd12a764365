"""The CloudEvents envelope: what we write, and what we refuse to read."""

import json
import re
from typing import Any
from uuid import uuid4

import pytest

from shared.contracts.envelope import Envelope, InvalidEvent
from shared.contracts.events import CATALOGUE, COMPACTED_TOPICS, SUPERSEDED, TOPICS, Event
from shared.contracts.events.employment import PlacementEnded
from tests.factories import settled

CASE_EVENTS = sorted(
    (event for event in CATALOGUE.values() if event.topic not in COMPACTED_TOPICS), key=lambda e: e.type
)


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


# Case topics carry ids, dates, numbers and codes: free text, which could hold a name, fails here.


def _free_text(schema: dict[str, Any], defs: dict[str, Any], path: str) -> list[str]:
    """The places in a JSON schema where any string may go."""
    if "$ref" in schema:
        return _free_text(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, path)
    if schema.get("x-reference-text"):  # a name from reference data or code, never typed about a person
        return []
    found = []
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            found += _free_text(option, defs, path)
    if schema.get("type") == "string" and not {"enum", "const", "format", "pattern"} & schema.keys():
        found.append(path)
    if schema.get("type") == "array":
        found += _free_text(schema.get("items", {}), defs, f"{path}[]")
    if schema.get("type") == "object":
        for name, value in schema.get("properties", {}).items():
            found += _free_text(value, defs, f"{path}.{name}")
        for value in schema.get("patternProperties", {}).values():  # keys held to a pattern
            found += _free_text(value, defs, f"{path}{{}}")
        if isinstance(extra := schema.get("additionalProperties"), dict):
            found += _free_text(schema.get("propertyNames", {"type": "string"}), defs, f"{path}{{key}}")
            found += _free_text(extra, defs, f"{path}{{}}")
    return found


@pytest.mark.parametrize("event", CASE_EVENTS, ids=lambda e: e.type)
def test_a_case_event_carries_ids_dates_numbers_and_codes_only(event: type[Event]) -> None:
    schema = event.model_json_schema()
    assert _free_text(schema, schema.get("$defs", {}), event.__name__) == []


def test_the_check_finds_free_text() -> None:
    class Careless(Event):
        type = "samvirke.test.careless.v1"
        topic = "settlement.events"
        note: str | None = None

    schema = Careless.model_json_schema()
    assert _free_text(schema, schema.get("$defs", {}), "Careless") == ["Careless.note"]


def test_a_superseded_type_is_no_longer_published_and_its_records_are_read_as_its_successor() -> None:
    assert not set(SUPERSEDED) & set(CATALOGUE)
    for old, successor in SUPERSEDED.items():
        assert successor.type in CATALOGUE
        assert old.rsplit(".", 1)[0] == successor.type.rsplit(".", 1)[0]
    newcomer, placement = uuid4(), uuid4()
    old = {
        "newcomer_id": str(newcomer),
        "placement_id": str(placement),
        "ended_on": "2026-05-01",
        "reason": "x",
    }
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", b"e-1"),
        ("ce_source", b"/samvirke/employment"),
        ("ce_type", b"samvirke.employment.placement.ended.v1"),
        ("ce_time", b"2026-05-01T10:00:00Z"),
        ("ce_subject", str(newcomer).encode()),
    ]
    envelope = Envelope.from_record(headers, json.dumps(old).encode())
    envelope.check_origin("employment.events")
    assert envelope.current_type == PlacementEnded.type
    event = envelope.decode()
    assert event == PlacementEnded(newcomer_id=newcomer, placement_id=placement, ended_on=event.ended_on)
    assert "reason" not in event.model_dump()


def test_personal_data_travels_only_on_compacted_per_person_topics() -> None:
    personal = [m for m in CATALOGUE.values() if {"given_name", "phone"} & set(m.model_fields)]
    assert {m.topic for m in personal} == set(COMPACTED_TOPICS)
