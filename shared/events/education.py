"""Events the education service (language school, introduction programme) publishes."""

from datetime import date
from typing import ClassVar

from .base import Event

TOPIC = "education.events"


class LearnerRecordOpened(Event):
    """The language school opened a learner record for a settled adult."""

    type: ClassVar[str] = "samvirke.education.learner-record.opened.v1"
    topic: ClassVar[str] = TOPIC

    municipality_code: str
    opened_on: date


EVENTS: tuple[type[Event], ...] = (LearnerRecordOpened,)
