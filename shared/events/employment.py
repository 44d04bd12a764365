"""Events the employment service (the job centre) publishes."""

from datetime import date
from typing import ClassVar

from .base import Event

TOPIC = "employment.events"


class CaseOpened(Event):
    """The job centre opened a case for a settled adult."""

    type: ClassVar[str] = "samvirke.employment.case.opened.v1"
    topic: ClassVar[str] = TOPIC

    municipality_code: str
    opened_on: date
    competence_mapping_due_on: date


EVENTS: tuple[type[Event], ...] = (CaseOpened,)
