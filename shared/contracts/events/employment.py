"""Events the employment service (the job centre) publishes."""

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import model_validator

from shared.contracts.codes import Key, LanguageCode, MunicipalityCode, OccupationCode

from .base import AccessRecorded, ErasureCompleted, Event, TaskChanged, explained_by_note
from .settlement import CefrLevel

TOPIC = "employment.events"
ACCESS_LOG_TOPIC = "employment.access-log"  # read by settlement alone: the people's access logs


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

    municipality_code: MunicipalityCode
    opened_on: date
    competence_mapping_due_on: date | None = None  # None where the country's law sets no such deadline


class PlacementStarted(Event):
    type: ClassVar[str] = "samvirke.employment.placement.started.v1"
    topic: ClassVar[str] = TOPIC

    placement_id: UUID
    kind: PlacementKind
    starts_on: date
    hours_per_week: float
    language_learning_at_work: bool = False
    required_level: CefrLevel | None = None  # the CEFR level the placement asks for, if any


class MappingCompleted(Event):
    """Competence mapping is done: prior education, work, licence, entrepreneurship, language."""

    type: ClassVar[str] = "samvirke.employment.mapping.completed.v1"
    topic: ClassVar[str] = TOPIC

    completed_on: date
    education_level: Key
    years_of_work_experience: float
    occupation_codes: list[OccupationCode]
    driving_licence: bool
    entrepreneurial_experience: bool
    language_level: CefrLevel | None


class LanguageMentorRequested(Event):
    """The case worker asks volunteers for a language mentor for a placement (Ikast-Brande model)."""

    type: ClassVar[str] = "samvirke.employment.language-mentor.requested.v1"
    topic: ClassVar[str] = TOPIC

    placement_id: UUID
    request_id: UUID
    occupation_code: OccupationCode | None
    municipality_code: MunicipalityCode
    languages: list[LanguageCode]
    requested_on: date


class PlacementEnded(Event):
    """v2: without v1's `reason`, in the case worker's own words; it stays in the job centre's store."""

    type: ClassVar[str] = "samvirke.employment.placement.ended.v2"
    topic: ClassVar[str] = TOPIC

    placement_id: UUID
    ended_on: date


class CaseTransferred(Event):
    """The newcomer moved: the case went with them, to the receiving municipality's job centre."""

    type: ClassVar[str] = "samvirke.employment.case.transferred.v1"
    topic: ClassVar[str] = TOPIC

    from_municipality_code: MunicipalityCode
    to_municipality_code: MunicipalityCode
    transferred_on: date


class FollowUpHeld(Event):
    """A follow-up with the newcomer (Denmark asks for at least four in the first six months)."""

    type: ClassVar[str] = "samvirke.employment.follow-up.held.v1"
    topic: ClassVar[str] = TOPIC

    follow_up_id: UUID
    kind: Key
    held_on: date


class EmploymentStarted(Event):
    type: ClassVar[str] = "samvirke.employment.employment.started.v1"
    topic: ClassVar[str] = TOPIC

    started_on: date
    hours_per_week: float
    occupation_code: OccupationCode | None = None
    employer_id: UUID | None = None


class EducationStarted(Event):
    """v2: without v1's `programme`, typed by the case worker; the figures count the start, not the name."""

    type: ClassVar[str] = "samvirke.employment.education.started.v2"
    topic: ClassVar[str] = TOPIC

    started_on: date


class EndReason(StrEnum):
    EMPLOYMENT = "employment"
    EDUCATION = "education"
    SELF_SUPPORTING = "self_supporting"
    MOVED = "moved"
    DEPARTED = "departed"
    OTHER = "other"


class CaseClosed(Event):
    """A case never closes without an end reason."""

    type: ClassVar[str] = "samvirke.employment.case.closed.v1"
    topic: ClassVar[str] = TOPIC

    end_reason: EndReason
    closed_on: date
    explained: bool = False  # the case worker said why in a note, which stays in the job centre's store

    _explained = model_validator(mode="before")(explained_by_note)


class EmploymentErased(ErasureCompleted):
    type: ClassVar[str] = "samvirke.employment.erasure.completed.v1"
    topic: ClassVar[str] = TOPIC


class EmploymentAccessed(AccessRecorded):
    type: ClassVar[str] = "samvirke.employment.access.recorded.v1"
    topic: ClassVar[str] = ACCESS_LOG_TOPIC


class EmploymentTaskChanged(TaskChanged):
    type: ClassVar[str] = "samvirke.employment.task.changed.v1"
    topic: ClassVar[str] = TOPIC


EVENTS: tuple[type[Event], ...] = (
    CaseOpened,
    MappingCompleted,
    PlacementStarted,
    PlacementEnded,
    LanguageMentorRequested,
    CaseTransferred,
    FollowUpHeld,
    EmploymentStarted,
    EducationStarted,
    CaseClosed,
    EmploymentErased,
    EmploymentAccessed,
    EmploymentTaskChanged,
)
