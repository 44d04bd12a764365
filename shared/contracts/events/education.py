"""Events the education service (language school, introduction programme) publishes."""

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import model_validator

from shared.contracts.codes import MunicipalityCode, reference_text

from .base import AccessRecorded, ErasureCompleted, Event, TaskChanged, explained_by_note
from .settlement import CefrLevel

TOPIC = "education.events"
ACCESS_LOG_TOPIC = "education.access-log"  # read by settlement alone: the people's access logs


class Track(StrEnum):
    CLASSROOM = "classroom"
    WORK_INTEGRATED = "work_integrated"  # learning the language through work (Lillehammer)
    EVENING = "evening"  # part-time, beside a job


class Skill(StrEnum):
    LISTENING = "listening"
    READING = "reading"
    WRITING = "writing"
    SPEAKING = "speaking"


class LearnerEnrolled(Event):
    type: ClassVar[str] = "samvirke.education.learner.enrolled.v1"
    topic: ClassVar[str] = TOPIC

    course_id: UUID
    track: Track
    municipality_code: MunicipalityCode
    course_starts_on: date
    enrolled_on: date


class LearnerWaitlisted(Event):
    type: ClassVar[str] = "samvirke.education.learner.waitlisted.v1"
    topic: ClassVar[str] = TOPIC

    municipality_code: MunicipalityCode
    track: Track
    reason: str = reference_text("the school's placement rules, from the course catalogue's codes")
    waitlisted_on: date


class LevelAssessed(Event):
    """A CEFR test result; `overall_level` is the level reached in every skill tested so far."""

    type: ClassVar[str] = "samvirke.education.level.assessed.v1"
    topic: ClassVar[str] = TOPIC

    skill: Skill
    level: CefrLevel
    tested_on: date
    overall_level: CefrLevel


class UnexplainedAbsenceAlert(Event):
    """Unexplained absence crossed the threshold: the job centre should follow up."""

    type: ClassVar[str] = "samvirke.education.absence.unexplained-alert.v1"
    topic: ClassVar[str] = TOPIC

    course_id: UUID
    sessions: int
    unexplained: int
    unexplained_rate: float
    threshold: float
    raised_on: date


class TrackChanged(Event):
    type: ClassVar[str] = "samvirke.education.track.changed.v1"
    topic: ClassVar[str] = TOPIC

    from_track: Track
    to_track: Track
    course_id: UUID | None
    reason: str = reference_text("the school's track rules, from the placement's id or the employment")


class CourseCompleted(Event):
    type: ClassVar[str] = "samvirke.education.course.completed.v1"
    topic: ClassVar[str] = TOPIC

    course_id: UUID
    completed_on: date
    overall_level: CefrLevel | None


class WithdrawalReason(StrEnum):
    EMPLOYMENT = "employment"
    EDUCATION = "education"
    ILLNESS = "illness"
    PARENTAL_LEAVE = "parental_leave"
    MOVED = "moved"
    DEPARTED = "departed"
    OTHER = "other"


class LearnerWithdrawn(Event):
    type: ClassVar[str] = "samvirke.education.learner.withdrawn.v1"
    topic: ClassVar[str] = TOPIC

    reason: WithdrawalReason
    withdrawn_on: date
    explained: bool = False  # the teacher said why in a note, which stays in the school's store

    _explained = model_validator(mode="before")(explained_by_note)


class EducationErased(ErasureCompleted):
    type: ClassVar[str] = "samvirke.education.erasure.completed.v1"
    topic: ClassVar[str] = TOPIC


class EducationAccessed(AccessRecorded):
    type: ClassVar[str] = "samvirke.education.access.recorded.v1"
    topic: ClassVar[str] = ACCESS_LOG_TOPIC


class EducationTaskChanged(TaskChanged):
    type: ClassVar[str] = "samvirke.education.task.changed.v1"
    topic: ClassVar[str] = TOPIC


EVENTS: tuple[type[Event], ...] = (
    LearnerEnrolled,
    LearnerWaitlisted,
    LevelAssessed,
    UnexplainedAbsenceAlert,
    TrackChanged,
    CourseCompleted,
    LearnerWithdrawn,
    EducationErased,
    EducationAccessed,
    EducationTaskChanged,
)
