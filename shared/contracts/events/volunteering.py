"""Events the volunteering service (volunteer organisations) publishes."""

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from .base import AccessRecorded, ErasureCompleted, Event, TaskChanged

TOPIC = "volunteering.events"
ACCESS_LOG_TOPIC = "volunteering.access-log"  # read by settlement alone: the people's access logs


class MatchKind(StrEnum):
    FRIEND = "friend"  # a volunteer friend or contact family, as in "Venner Viser Vej"
    LEISURE_BUDDY = "leisure_buddy"  # leisure and sports for children
    LANGUAGE_MENTOR = "language_mentor"
    HOMEWORK_HELPER = "homework_helper"


class MatchRequestOpened(Event):
    """Volunteering opened a match request for a newcomer who consented to contact."""

    type: ClassVar[str] = "samvirke.volunteering.match-request.opened.v1"
    topic: ClassVar[str] = TOPIC

    request_id: UUID
    kind: MatchKind
    opened_on: date


class LanguageMentorMatched(Event):
    """A volunteer language mentor was matched, e.g. for a work-practice placement."""

    type: ClassVar[str] = "samvirke.volunteering.language-mentor.matched.v1"
    topic: ClassVar[str] = TOPIC

    match_id: UUID
    placement_id: UUID | None = None
    matched_on: date


class FriendMatched(Event):
    """A volunteer friend (or leisure buddy for a child) was matched and accepted."""

    type: ClassVar[str] = "samvirke.volunteering.friend.matched.v1"
    topic: ClassVar[str] = TOPIC

    match_id: UUID
    kind: MatchKind
    matched_on: date


class MatchEnded(Event):
    """v2: without v1's `reason`, in the organiser's own words; it stays in the organisation's store."""

    type: ClassVar[str] = "samvirke.volunteering.match.ended.v2"
    topic: ClassVar[str] = TOPIC

    match_id: UUID
    kind: MatchKind
    ended_on: date
    hours_logged: float


class VolunteeringErased(ErasureCompleted):
    type: ClassVar[str] = "samvirke.volunteering.erasure.completed.v1"
    topic: ClassVar[str] = TOPIC


class VolunteeringAccessed(AccessRecorded):
    type: ClassVar[str] = "samvirke.volunteering.access.recorded.v1"
    topic: ClassVar[str] = ACCESS_LOG_TOPIC


class VolunteeringTaskChanged(TaskChanged):
    type: ClassVar[str] = "samvirke.volunteering.task.changed.v1"
    topic: ClassVar[str] = TOPIC


EVENTS: tuple[type[Event], ...] = (
    MatchRequestOpened,
    LanguageMentorMatched,
    FriendMatched,
    MatchEnded,
    VolunteeringErased,
    VolunteeringAccessed,
    VolunteeringTaskChanged,
)
