"""Organisations, volunteers, consented newcomers, requests, matches, hours and activities.

Volunteer organisations are not public agencies: everything about a newcomer
here exists only while they (or, for a child, their household) consent, and
is erased on withdrawal, relocation or departure.
"""

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID, uuid4

from annotated_types import MaxLen
from pydantic import StrictFloat, StrictInt, StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import JSON, Column
from sqlmodel import Field, Relationship, SQLModel

from shared.contracts.events.settlement import AgeGroup
from shared.contracts.events.volunteering import MatchKind
from shared.domain.inputs import IsoDate, LanguageCode, MunicipalityCode, OccupationCode, Text

BACKGROUND_CHECK_VALID_YEARS = 3  # a police certificate for work with children is renewed every three years
CHILD_KINDS = (MatchKind.LEISURE_BUDDY, MatchKind.HOMEWORK_HELPER)


def _now() -> datetime:
    return datetime.now(UTC)


class OrganisationKind(StrEnum):
    RED_CROSS = "red_cross"
    SPORTS_CLUB = "sports_club"
    LIBRARY = "library"
    CHURCH = "church"
    OTHER = "other"


class AgeBand(StrEnum):
    YOUNG = "18-29"
    ADULT = "30-44"
    MIDDLE = "45-59"
    SENIOR = "60+"


class RequestStatus(StrEnum):
    OPEN = "open"
    MATCHED = "matched"
    CLOSED = "closed"


class MatchStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    ACTIVE = "active"
    ENDED = "ended"

    @property
    def counts_towards_load(self) -> bool:
        return self is not MatchStatus.ENDED


# organisations and volunteers


class OrganisationCreate(SQLModel):
    name: Text
    kind: OrganisationKind
    municipality_code: MunicipalityCode


class Organisation(OrganisationCreate, table=True):
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    code: str = Field(
        default="",
        index=True,
        max_length=100,
        description="The organisation as the identity provider names it (its staff's `organisation` claim)",
    )


class VolunteerCreate(SQLModel):
    organisation_id: UUID
    name: Text
    languages: list[LanguageCode] = Field(min_length=1, max_length=20)
    interests: list[Text] = Field(default_factory=list, max_length=50)
    occupation_code: OccupationCode | None = None
    age_band: AgeBand
    district: Text
    hours_per_month: StrictFloat = Field(gt=0, le=100)
    roles: list[MatchKind] = Field(min_length=1, max_length=10)
    max_active_matches: StrictInt = Field(default=1, ge=1, le=10)
    background_check_on: IsoDate | None = Field(
        default=None, description="Police certificate, needed for roles with children"
    )


class Volunteer(SQLModel, table=True):
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    organisation_id: UUID = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=200)
    languages: list[str] = Field(sa_column=Column(JSON, nullable=False))
    interests: list[str] = Field(sa_column=Column(JSON, nullable=False))
    occupation_code: str | None = Field(default=None, max_length=4)
    age_band: AgeBand
    district: str = Field(max_length=200)
    hours_per_month: float
    roles: list[str] = Field(sa_column=Column(JSON, nullable=False))
    max_active_matches: int
    background_check_on: date | None = None
    active: bool = True


class VolunteerPublic(VolunteerCreate):
    id: UUID
    active: bool
    active_matches: int


# newcomers who consented, and their requests


class Newcomer(SQLModel, table=True):
    """A newcomer who consented (or whose household did), with the least data matching needs."""

    __tablename__ = "consented_newcomer"

    id: UUID = Field(primary_key=True)
    age_group: AgeGroup | None = None
    household_id: UUID | None = Field(default=None, index=True)
    consent_via_household: bool = False
    municipality_code: str | None = Field(default=None, max_length=4)
    district: str | None = Field(default=None, max_length=200)
    given_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class RequestUpdate(SQLModel):
    """What the coordinator learns in the first conversation, to improve the match."""

    interests: Annotated[list[Text], MaxLen(50)] | SkipJsonSchema[None] = None
    preferred_age_band: AgeBand | None = None  # null: no preference

    @field_validator("interests")
    @classmethod
    def _not_removed(cls, value: list[str] | None) -> list[str]:
        if value is None:  # absent means unchanged; no interests is []
            raise ValueError("give a list (it may be empty), or leave the field out")
        return value


class MatchRequest(SQLModel, table=True):
    __tablename__ = "match_request"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    newcomer_id: UUID = Field(foreign_key="consented_newcomer.id", index=True)
    kind: MatchKind
    source: str = Field(max_length=30, description="settlement, household or employment")
    municipality_code: str = Field(max_length=4, index=True)
    district: str | None = Field(default=None, max_length=200)
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    interests: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    occupation_code: str | None = Field(default=None, max_length=4)
    preferred_age_band: AgeBand | None = None
    placement_id: UUID | None = None
    status: RequestStatus = Field(default=RequestStatus.OPEN, index=True)
    opened_at: datetime = Field(default_factory=_now)

    # Never read (it raises if it were): it tells the unit of work that a request's row
    # follows its newcomer's, so one flush can insert a batch's newcomers and their requests
    # (without it, tables are written in the order of their classes' names: requests first).
    newcomer: Newcomer | None = Relationship(sa_relationship_kwargs={"lazy": "raise"})


class MatchRequestPublic(SQLModel):
    id: UUID
    newcomer_id: UUID
    given_name: str | None
    kind: MatchKind
    source: str
    municipality_code: str
    district: str | None
    languages: list[str]
    interests: list[str]
    occupation_code: str | None
    preferred_age_band: AgeBand | None
    placement_id: UUID | None
    status: RequestStatus
    opened_at: datetime


# matching


class ScorePart(SQLModel):
    part: str
    points: float
    why: str


class Candidate(SQLModel):
    volunteer_id: UUID
    name: str
    organisation_id: UUID
    score: float
    parts: list[ScorePart]


class MatchPropose(SQLModel):
    volunteer_id: UUID


class MatchEnd(SQLModel):
    reason: Text


class Match(SQLModel, table=True):
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    request_id: UUID | None = Field(default=None, index=True)
    newcomer_id: UUID | None = Field(default=None, index=True, description="None once the newcomer is erased")
    volunteer_id: UUID = Field(foreign_key="volunteer.id", index=True)
    kind: MatchKind
    placement_id: UUID | None = None
    status: MatchStatus = Field(default=MatchStatus.PROPOSED, index=True)
    score: float
    proposed_at: datetime = Field(default_factory=_now)
    accepted_on: date | None = None
    activated_on: date | None = None
    ended_on: date | None = None
    end_reason: str | None = Field(default=None, max_length=200)


class HoursCreate(SQLModel):
    logged_on: IsoDate
    hours: StrictFloat = Field(gt=0, le=24)
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class HoursLog(HoursCreate, table=True):
    __tablename__ = "hours_log"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    match_id: UUID = Field(foreign_key="match.id", index=True)


# meeting places and activities: counts only


class ActivityCreate(SQLModel):
    organisation_id: UUID
    name: Text
    kind: str = Field(max_length=40, description="meeting_place, language_cafe, sport, homework_help, ...")
    held_on: IsoDate
    participants: StrictInt = Field(ge=0, le=10_000)
    newcomer_participants: StrictInt = Field(
        ge=0, le=10_000, description="A count only: no names without consent"
    )


class Activity(ActivityCreate, table=True):
    id: UUID = Field(default_factory=uuid4, primary_key=True)


# proof of erasure


class Erasure(SQLModel, table=True):
    """That a newcomer's data was erased, and why; the newcomer is named only by a one-way hash."""

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    newcomer_hash: str = Field(max_length=64, index=True)
    reason: str = Field(max_length=50)
    erased_at: datetime = Field(default_factory=_now)
    rows_deleted: int
    matches_ended: int


class PrivacyReport(SQLModel):
    newcomer_hash: str
    rows_held: dict[str, int]
    erasures: list[Erasure]
