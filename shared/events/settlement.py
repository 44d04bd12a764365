"""Events the settlement service (the municipality's refugee office) publishes."""

from datetime import date
from enum import StrEnum
from typing import ClassVar

from .base import Event

TOPIC = "settlement.events"


class AgeGroup(StrEnum):
    ADULT = "adult"
    CHILD = "child"


class NewcomerRegistered(Event):
    """A newcomer was entered in the municipality's register."""

    type: ClassVar[str] = "samvirke.settlement.newcomer.registered.v1"
    topic: ClassVar[str] = TOPIC

    registered_on: date


class NewcomerSettled(Event):
    """A newcomer was settled in a municipality: the start of every agency's work."""

    type: ClassVar[str] = "samvirke.settlement.newcomer.settled.v1"
    topic: ClassVar[str] = TOPIC

    municipality_code: str
    district: str
    settled_on: date
    age_group: AgeGroup
    volunteer_contact_consent: bool


EVENTS: tuple[type[Event], ...] = (NewcomerRegistered, NewcomerSettled)
