"""Courses, learners, assessments and attendance: tables and the API's schemas."""

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import UUID, uuid4

from pydantic import StrictFloat, StrictInt, StringConstraints, model_validator
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.contracts.events.education import Skill, Track, WithdrawalReason
from shared.contracts.events.settlement import CefrLevel
from shared.domain.inputs import IsoDate, MunicipalityCode, Text

CEFR_ORDER = list(CefrLevel)


def _now() -> datetime:
    return datetime.now(UTC)


def level_rank(level: CefrLevel | str | None) -> int:
    return CEFR_ORDER.index(CefrLevel(level)) if level else 0


class LearnerStatus(StrEnum):
    WAITLISTED = "waitlisted"
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"  # departed


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    SICK = "sick"
    CHILDCARE = "childcare"
    WORK_OR_PLACEMENT = "work_or_placement"
    APPOINTMENT = "appointment"
    UNEXPLAINED = "unexplained"


# courses


class CourseCreate(SQLModel):
    name: Text
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")] = Field(
        default="nb", description="Taught language, e.g. nb, nn, da"
    )
    level_from: CefrLevel = CefrLevel.A1
    level_to: CefrLevel = CefrLevel.B1
    track: Track = Track.CLASSROOM
    hours_per_week: StrictFloat = Field(gt=0, le=40)
    capacity: StrictInt = Field(ge=1, le=500)
    municipality_code: MunicipalityCode
    district: Text
    location: Text | None = None
    starts_on: IsoDate
    ends_on: IsoDate

    @model_validator(mode="after")
    def _consistent(self) -> "CourseCreate":
        if level_rank(self.level_to) < level_rank(self.level_from):
            raise ValueError("level_to must not be below level_from")
        if self.ends_on <= self.starts_on:
            raise ValueError("ends_on must be after starts_on")
        return self


class Course(CourseCreate, table=True):
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    municipality_code: str = Field(max_length=4, index=True)
    created_at: datetime = Field(default_factory=_now)

    def suits(self, level: CefrLevel | None, on: date) -> bool:
        return (
            level_rank(self.level_from) <= level_rank(level) <= level_rank(self.level_to)
            and self.ends_on >= on
        )


class CoursePublic(CourseCreate):
    id: UUID
    enrolled: int
    seats_left: int


# learners


class Learner(SQLModel, table=True):
    called: ClassVar[str] = "learner record for newcomer"  # in errors: "No learner record for newcomer …"

    newcomer_id: UUID = Field(primary_key=True)
    municipality_code: str = Field(max_length=4, index=True)
    district: str = Field(max_length=200)
    settled_on: date
    status: LearnerStatus = Field(index=True)
    track: Track = Track.CLASSROOM
    course_id: UUID | None = Field(default=None, foreign_key="course.id", index=True)
    waitlisted_at: datetime | None = Field(default=None, index=True)
    waitlist_reason: str | None = Field(default=None, max_length=300)
    level: CefrLevel | None = None
    household_id: UUID | None = None
    placement_id: UUID | None = None
    language_mentor_match_id: UUID | None = None
    absence_alerted: bool = False
    end_reason: str | None = Field(default=None, max_length=300)
    opened_at: datetime = Field(default_factory=_now)


class LearnerPublic(SQLModel):
    newcomer_id: UUID
    given_name: str | None
    family_name: str | None
    phone: str | None
    municipality_code: str
    district: str
    settled_on: IsoDate
    status: LearnerStatus
    track: Track
    course_id: UUID | None
    waitlist_reason: str | None
    level: CefrLevel | None
    language_mentor_match_id: UUID | None
    end_reason: str | None


class Enrolment(SQLModel, table=True):
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    newcomer_id: UUID = Field(foreign_key="learner.newcomer_id", index=True)
    course_id: UUID = Field(foreign_key="course.id", index=True)
    enrolled_on: date
    ended_on: date | None = None
    end_reason: str | None = Field(default=None, max_length=300)


class CoursePlacement(SQLModel):
    """Staff place a learner in a course they chose: from the waiting list, or from another course."""

    course_id: UUID
    placed_on: IsoDate


class TrackMove(SQLModel):
    """Staff move a learner to another track; a seat on it is found as for any learner."""

    track: Track
    moved_on: IsoDate


class Withdrawal(SQLModel):
    reason: WithdrawalReason
    note: Text | None = None
    withdrawn_on: IsoDate


class Completion(SQLModel):
    completed_on: IsoDate


# assessments and attendance


class AssessmentCreate(SQLModel):
    skill: Skill
    level: CefrLevel
    tested_on: IsoDate

    @model_validator(mode="after")
    def _not_in_future(self) -> "AssessmentCreate":
        if self.tested_on > date.today():
            raise ValueError("tested_on must not be in the future")
        return self


class Assessment(AssessmentCreate, table=True):
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    newcomer_id: UUID = Field(foreign_key="learner.newcomer_id", index=True)


class Attendance(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("newcomer_id", "course_id", "session_on"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    newcomer_id: UUID = Field(foreign_key="learner.newcomer_id", index=True)
    course_id: UUID = Field(foreign_key="course.id", index=True)
    session_on: date
    status: AttendanceStatus


class AttendanceMark(SQLModel):
    newcomer_id: UUID
    status: AttendanceStatus


class SessionAttendance(SQLModel):
    """A whole session at once: one mark per learner present in the register."""

    marks: list[AttendanceMark] = Field(min_length=1, max_length=500)


class AbsenceRate(SQLModel):
    newcomer_id: UUID
    course_id: UUID
    sessions: int
    absent: int
    unexplained: int
    absence_rate: float
    unexplained_rate: float


class LearnerOverview(LearnerPublic):
    skills: dict[Skill, CefrLevel]
    absence: AbsenceRate | None
