"""The event catalogue: every cross-agency event, defined once, grouped by publisher.

Each event type is versioned (`….v1`) and belongs to its publisher's topic.
A breaking change is a new type (`….v2`), published beside the old one until
every consumer has moved.
"""

from . import education, employment, settlement, volunteering
from .base import AccessRecorded, ErasureCompleted, Event

TOPICS: tuple[str, ...] = (
    settlement.TOPIC,
    settlement.PERSONAL_DETAILS_TOPIC,
    settlement.VOLUNTEER_CONTACTS_TOPIC,
    education.TOPIC,
    employment.TOPIC,
    volunteering.TOPIC,
    education.ACCESS_LOG_TOPIC,
    employment.ACCESS_LOG_TOPIC,
    volunteering.ACCESS_LOG_TOPIC,
)

# Per-person state: Kafka keeps the latest record per newcomer, and a tombstone erases it.
COMPACTED_TOPICS: frozenset[str] = frozenset(
    {settlement.PERSONAL_DETAILS_TOPIC, settlement.VOLUNTEER_CONTACTS_TOPIC}
)

CATALOGUE: dict[str, type[Event]] = {
    event.type: event
    for event in (*settlement.EVENTS, *education.EVENTS, *employment.EVENTS, *volunteering.EVENTS)
}

__all__ = [
    "CATALOGUE",
    "COMPACTED_TOPICS",
    "TOPICS",
    "AccessRecorded",
    "ErasureCompleted",
    "Event",
    "education",
    "employment",
    "settlement",
    "volunteering",
]
