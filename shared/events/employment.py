"""Events the employment service (the job centre) publishes."""

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from .base import Event

TOPIC = "employment.events"


class PlacementKind(StrEnum):
    WORK_PRACTICE = "work_practice"
    APPRENTICESHIP = "apprenticeship"
    IGU = "igu"  # Denmark's two-year paid practice with school
    SUBSIDISED_JOB = "subsidised_job"
    ORDINARY_JOB = "ordinary_job"
    ENTREPRENEURSHIP_COURSE = "entrepreneurship_course"
    JOB_SEARCH_COURSE = "job_search_course"


class CaseOpened(Event):
    """The job centre opened a case for a settled adult."""

    type: ClassVar[str] = "samvirke.employment.case.opened.v1"
    topic: ClassVar[str] = TOPIC

    municipality_code: str
    opened_on: date
    competence_mapping_due_on: date


class PlacementStarted(Event):
    type: ClassVar[str] = "samvirke.employment.placement.started.v1"
    topic: ClassVar[str] = TOPIC

    placement_id: UUID
    kind: PlacementKind
    starts_on: date
    hours_per_week: float
    language_learning_at_work: bool = False


class PlacementEnded(Event):
    type: ClassVar[str] = "samvirke.employment.placement.ended.v1"
    topic: ClassVar[str] = TOPIC

    placement_id: UUID
    ended_on: date
    reason: str


class EmploymentStarted(Event):
    type: ClassVar[str] = "samvirke.employment.employment.started.v1"
    topic: ClassVar[str] = TOPIC

    started_on: date
    hours_per_week: float
    occupation_code: str | None = None


EVENTS: tuple[type[Event], ...] = (CaseOpened, PlacementStarted, PlacementEnded, EmploymentStarted)
