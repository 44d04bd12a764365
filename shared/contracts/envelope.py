"""CloudEvents 1.0 in Kafka binary mode: attributes in `ce_*` headers, data as the value.

See the CloudEvents Kafka protocol binding. The record key is the newcomer id
(`ce_subject`), so one person's events keep their order within a partition.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import uuid4

from pydantic import ValidationError

from shared.contracts.agencies import owner_of, source_of
from shared.contracts.events import Event, model_of

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
REQUIRED = ("ce_specversion", "ce_id", "ce_source", "ce_type")


class InvalidEvent(Exception):
    """A record that is not a valid catalogued event; the message says why."""


@dataclass(frozen=True)
class Envelope:
    id: str
    source: str
    type: str
    subject: str
    time: datetime
    data: bytes
    traceparent: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def wrap(cls, event: Event, *, source: str, traceparent: str | None = None) -> "Envelope":
        return cls(
            id=str(uuid4()),
            source=source,
            type=event.type,
            subject=event.subject,
            time=datetime.now(UTC),
            data=event.model_dump_json().encode(),
            traceparent=traceparent,
        )

    @property
    def key(self) -> bytes:
        return self.subject.encode()

    def headers(self) -> dict[str, str]:
        headers = {
            "ce_specversion": SPEC_VERSION,
            "ce_id": self.id,
            "ce_source": self.source,
            "ce_type": self.type,
            "ce_subject": self.subject,
            "ce_time": self.time.isoformat().replace("+00:00", "Z"),
            "content-type": CONTENT_TYPE,
        }
        if self.traceparent:
            headers["traceparent"] = self.traceparent
        return headers

    @classmethod
    def from_record(
        cls, headers: Iterable[tuple[str, bytes | None]], value: bytes | None, *, tombstone: bool = False
    ) -> "Envelope":
        """Reads a Kafka record; raises InvalidEvent if it is not a binary-mode CloudEvent.

        A `tombstone` (a null value on a compacted topic) carries attributes but no data.
        """
        try:
            attrs = {name: (raw or b"").decode() for name, raw in headers}
        except UnicodeDecodeError as error:
            raise InvalidEvent(f"header is not UTF-8: {error}") from error
        missing = [name for name in REQUIRED if not attrs.get(name)]
        if missing:
            raise InvalidEvent(f"not a CloudEvent: missing header(s) {', '.join(missing)}")
        if attrs["ce_specversion"] != SPEC_VERSION:
            raise InvalidEvent(f"unsupported ce_specversion {attrs['ce_specversion']!r}")
        content_type = attrs.get("content-type", CONTENT_TYPE).split(";")[0].strip()
        if content_type != CONTENT_TYPE:
            raise InvalidEvent(f"unsupported content-type {content_type!r}")
        if value is None and not tombstone:
            raise InvalidEvent("record has no value")
        try:
            time = datetime.fromisoformat(attrs["ce_time"]) if attrs.get("ce_time") else None
        except ValueError as error:
            raise InvalidEvent(f"ce_time is not RFC 3339: {attrs['ce_time']!r}") from error
        known = {*REQUIRED, "ce_subject", "ce_time", "content-type", "traceparent"}
        return cls(
            id=attrs["ce_id"],
            source=attrs["ce_source"],
            type=attrs["ce_type"],
            subject=attrs.get("ce_subject", ""),
            time=time or datetime.now(UTC),
            data=value or b"",
            traceparent=attrs.get("traceparent"),
            extra_headers={k: v for k, v in attrs.items() if k not in known},
        )

    @property
    def current_type(self) -> str:
        """The catalogue's type for this record: its own, or its successor's if the type was superseded."""
        model = model_of(self.type)
        return model.type if model is not None else self.type

    def check_origin(self, topic: str) -> None:
        """Raises InvalidEvent unless this event's type belongs on `topic` and its owner sent it.

        Each agency's topic carries only its own catalogued types with its own
        `ce_source`: a record that claims another agency's source, or an event
        type on a topic that is not its own, is refused, whoever could write there.
        """
        model = model_of(self.type)
        if model is None:
            raise InvalidEvent(f"unknown event type {self.type!r}")
        if not topic.endswith(model.topic):  # a deployment may prefix every topic
            raise InvalidEvent(f"{self.type} does not belong on topic {topic!r}")
        expected = source_of(owner_of(model.topic))
        if self.source != expected:
            raise InvalidEvent(f"ce_source {self.source!r} is not {expected!r}, the owner of {model.topic}")

    def decode(self) -> Event:
        """The catalogued event this envelope carries; raises InvalidEvent otherwise."""
        model = model_of(self.type)  # a superseded type is read as its successor
        if model is None:
            raise InvalidEvent(f"unknown event type {self.type!r}")
        try:
            payload = json.loads(self.data)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InvalidEvent(f"data is not JSON: {error}") from error
        try:
            event = model.model_validate(payload)
        except ValidationError as error:
            raise InvalidEvent(f"data does not match {self.type}: {_summary(error)}") from error
        if self.subject and self.subject != event.subject:
            raise InvalidEvent(f"ce_subject {self.subject!r} is not the event's newcomer_id")
        return event


def _summary(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in error.errors())
