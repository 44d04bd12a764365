"""Cases, mapping, plans, employers, placements, follow-ups and tasks: tables and the API's schemas."""

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar
from uuid import UUID, uuid4

from pydantic import StrictBool, StrictFloat, StringConstraints, model_validator
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from shared.contracts.events.employment import EndReason, PlacementKind
from shared.contracts.events.settlement import CefrLevel
from shared.domain.inputs import IsoDate, MunicipalityCode, Note, OccupationCode, Text

OrganisationNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{8,9}$")]

IGU_MIN_HOURS = 25  # Denmark's IGU: paid practice of at least 25 hours a week
IGU_YEARS = 2


def _now() -> datetime:
    return datetime.now(UTC)


class EducationLevel(StrEnum):
    NONE = "none"
    PRIMARY = "primary"
    SECONDARY = "secondary"
    VOCATIONAL = "vocational"
    HIGHER = "higher"
    UNKNOWN = "unknown"


class FollowUpKind(StrEnum):
    MEETING = "meeting"
    PHONE = "phone"
    VIDEO = "video"
    WORKPLACE_VISIT = "workplace_visit"


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class PlacementStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


# cases


class Case(SQLModel, table=True):
    called: ClassVar[str] = "case for newcomer"  # in errors: "No case for newcomer …"

    newcomer_id: UUID = Field(primary_key=True)
    municipality_code: str = Field(max_length=4, index=True)
    district: str | None = Field(default=None, max_length=200)
    settled_on: date
    # The job centre's statutory duties, from the rule set of the case's country when it opened
    # (shared/domain/statutory): None where that country's law sets no such deadline.
    competence_mapping_due_on: date | None = None
    follow_ups_from: date | None = None
    follow_ups_due_on: date | None = None
    follow_ups_required: int | None = None
    status: CaseStatus = Field(default=CaseStatus.OPEN, index=True)
    language_level: CefrLevel | None = None
    completed_course: bool = False
    opened_at: datetime = Field(default_factory=_now)
    end_reason: EndReason | None = None
    end_note: str | None = Field(default=None, max_length=300)
    closed_on: date | None = None


class CasePublic(SQLModel):
    newcomer_id: UUID
    given_name: str | None
    family_name: str | None
    municipality_code: str
    district: str | None
    settled_on: IsoDate
    competence_mapping_due_on: IsoDate | None
    status: CaseStatus
    language_level: CefrLevel | None
    end_reason: EndReason | None
    closed_on: IsoDate | None
    mapping_completed: bool
    follow_ups: "FollowUpCompliance"
    open_tasks: int


class Closure(SQLModel):
    end_reason: EndReason
    closed_on: IsoDate
    note: Text | None = None


class OutcomeKind(StrEnum):
    EMPLOYMENT = "employment"
    EDUCATION = "education"
    SELF_SUPPORTING = "self_supporting"


class Outcome(SQLModel):
    """An outcome closes the case with the matching end reason."""

    kind: OutcomeKind
    started_on: IsoDate
    hours_per_week: StrictFloat | None = Field(default=None, gt=0, le=60)
    employer_id: UUID | None = None
    occupation_code: OccupationCode | None = None
    programme: Text | None = None

    @model_validator(mode="after")
    def _complete(self) -> "Outcome":
        if self.kind is OutcomeKind.EMPLOYMENT and self.hours_per_week is None:
            raise ValueError("an employment outcome needs hours_per_week")
        if self.kind is OutcomeKind.EDUCATION and not self.programme:
            raise ValueError("an education outcome needs the programme")
        return self


# competence mapping and job plan


class WorkExperience(SQLModel):
    occupation_code: OccupationCode
    years: StrictFloat = Field(ge=0, le=60)


class MappingSet(SQLModel):
    education_level: EducationLevel
    work_experience: list[WorkExperience] = Field(default_factory=list, max_length=50)
    driving_licence: StrictBool = False
    entrepreneurial_experience: StrictBool = False
    completed_on: IsoDate


class Mapping(SQLModel, table=True):
    called: ClassVar[str] = (
        "competence mapping for newcomer"  # in errors: "No competence mapping for newcomer …"
    )

    newcomer_id: UUID = Field(foreign_key="case.newcomer_id", primary_key=True)
    education_level: str = Field(max_length=20)
    work_experience: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    driving_licence: bool
    entrepreneurial_experience: bool
    language_level: CefrLevel | None = None
    completed_on: date


class GoalKind(StrEnum):
    OCCUPATION = "occupation"
    EDUCATION = "education"


class JobPlanSet(SQLModel):
    goal_kind: GoalKind
    goal: Text = Field(description="An occupation code (ISCO/STYRK) or an education programme")
    activities: list[Text] = Field(min_length=1, max_length=50)
    review_dates: list[IsoDate] = Field(min_length=1, max_length=50)
    agreed_on: IsoDate

    @model_validator(mode="after")
    def _reviews_after_agreement(self) -> "JobPlanSet":
        if any(review <= self.agreed_on for review in self.review_dates):
            raise ValueError("review_dates must come after agreed_on")
        return self


class JobPlan(SQLModel, table=True):
    called: ClassVar[str] = "job plan for newcomer"  # in errors: "No job plan for newcomer …"

    __tablename__ = "job_plan"

    newcomer_id: UUID = Field(foreign_key="case.newcomer_id", primary_key=True)
    goal_kind: GoalKind
    goal: str = Field(max_length=200)
    activities: list[str] = Field(sa_column=Column(JSON, nullable=False))
    review_dates: list[str] = Field(sa_column=Column(JSON, nullable=False), description="ISO dates")
    agreed_on: date


# employers and placements


class EmployerCreate(SQLModel):
    name: Text
    organisation_number: OrganisationNumber = Field(description="9 digits in Norway, 8 (CVR) in Denmark")
    municipality_code: MunicipalityCode
    sector: Text | None = None
    min_language_level: CefrLevel | None = Field(
        default=None, description="The employer's minimum CEFR level for any placement"
    )


class Employer(EmployerCreate, table=True):
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    organisation_number: str = Field(max_length=9, unique=True)


class PlacementCreate(SQLModel):
    employer_id: UUID
    kind: PlacementKind
    occupation_code: OccupationCode | None = None
    starts_on: IsoDate
    ends_on: IsoDate
    hours_per_week: StrictFloat = Field(gt=0, le=45)
    professional_mentor: Text = Field(description="The colleague who guides the newcomer at work")
    language_learning_at_work: StrictBool = Field(
        default=False, description="Learns the language through the work (moves education to work-integrated)"
    )
    min_language_level: CefrLevel | None = None

    @model_validator(mode="after")
    def _dates(self) -> "PlacementCreate":
        if self.ends_on <= self.starts_on:
            raise ValueError("ends_on must be after starts_on")
        return self


class Placement(PlacementCreate, table=True):
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    newcomer_id: UUID = Field(foreign_key="case.newcomer_id", index=True)
    employer_id: UUID = Field(foreign_key="employer.id", index=True)
    status: PlacementStatus = Field(default=PlacementStatus.ACTIVE, index=True)
    ended_on: date | None = None
    end_reason: str | None = Field(default=None, max_length=300)
    language_mentor_request_id: UUID | None = None
    language_mentor_match_id: UUID | None = None


class PlacementEnd(SQLModel):
    ended_on: IsoDate
    reason: Text


# follow-up and tasks


class FollowUpCreate(SQLModel):
    held_on: IsoDate
    kind: FollowUpKind = FollowUpKind.MEETING
    note: Note | None = None


class FollowUp(FollowUpCreate, table=True):
    __tablename__ = "follow_up"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    newcomer_id: UUID = Field(foreign_key="case.newcomer_id", index=True)


class FollowUpCompliance(SQLModel):
    """The follow-ups the law asks for (Denmark: at least four in the first six months), as held."""

    applies: bool
    required: int
    held_in_window: int
    window_ends_on: IsoDate | None
    status: str = Field(description="not_applicable, met, on_track, behind or breached")


CasePublic.model_rebuild()
