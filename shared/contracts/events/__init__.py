"""The event catalogue: every cross-agency event, defined once, grouped by publisher.

Each event type is versioned (`….v1`) and belongs to its publisher's topic.
A breaking change is a new type (`….v2`), published beside the old one until
every consumer has moved.
"""

from . import education, employment, settlement, volunteering
from .base import AccessRecorded, ErasureCompleted, Event, TaskChanged

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
    "TaskChanged",
    "education",
    "employment",
    "settlement",
    "volunteering",
]

# Retired types, read as their successor. These v1 types carried staff's own words (a reason, a programme's
# name) onto case topics; their v2 successors carry none, and the v1 types are no longer published: privacy
# does not wait for every consumer to move. A v1 record still on a topic (read again by a replay) is decoded
# with its successor's model, which leaves out what the successor no longer has.
SUPERSEDED: dict[str, type[Event]] = {
    "samvirke.settlement.handover.rejected.v1": settlement.HandoverRejected,
    "samvirke.settlement.handover.revoked.v1": settlement.HandoverRevoked,
    "samvirke.employment.placement.ended.v1": employment.PlacementEnded,
    "samvirke.employment.education.started.v1": employment.EducationStarted,
    "samvirke.volunteering.match.ended.v1": volunteering.MatchEnded,
}


def model_of(event_type: str) -> type[Event] | None:
    """The model that decodes records of `event_type`: its own, or its successor's; None if unknown."""
    return CATALOGUE.get(event_type) or SUPERSEDED.get(event_type)
