"""Events the volunteering service (volunteer organisations) publishes."""

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from .base import Event

TOPIC = "volunteering.events"


class MatchKind(StrEnum):
    FRIEND = "friend"
    LEISURE_BUDDY = "leisure_buddy"
    LANGUAGE_MENTOR = "language_mentor"


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


EVENTS: tuple[type[Event], ...] = (MatchRequestOpened, LanguageMentorMatched)
