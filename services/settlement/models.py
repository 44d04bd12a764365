"""The municipality's register: tables, and the API's request and response schemas."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar
from uuid import UUID, uuid4

from annotated_types import MaxLen
from pydantic import (
    AfterValidator,
    StrictFloat,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.contracts.events.settlement import (
    AgeGroup,
    ArrivalRoute,
    CefrLevel,
    ConsentPurpose,
    DepartureReason,
    EndGoal,
    HouseholdRelation,
    LegalGround,
)
from shared.domain.inputs import (
    CountryCode,
    Email,
    IsoDate,
    LanguageCode,
    MunicipalityCode,
    Phone,
    Text,
    lines,
)
from shared.domain.statutory import Country

ADULT_AGE = 18
CaseNumber = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ./-]{0,39}$"), AfterValidator(str.strip)
]  # letters, digits and separators: never empty, so no two newcomers share a blank one


def _now() -> datetime:
    return datetime.now(UTC)


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNSPECIFIED = "unspecified"


class EducationLevel(StrEnum):
    NONE = "none"
    PRIMARY = "primary"
    SECONDARY = "secondary"
    VOCATIONAL = "vocational"
    HIGHER = "higher"
    UNKNOWN = "unknown"


class NewcomerStatus(StrEnum):
    REGISTERED = "registered"
    SETTLED = "settled"
    DEPARTED = "departed"


class HandoverStatus(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    COMPLETED = "completed"
    REVOKED = "revoked"

    @property
    def is_open(self) -> bool:
        return self in (HandoverStatus.REQUESTED, HandoverStatus.ACCEPTED)


# --- municipalities and their yearly settlement requests ------------------------------------


class MunicipalityCreate(SQLModel):
    code: str = Field(description="Official number: 4 digits in Norway (0301), 3 in Denmark (530)")
    country: Country
    name: Text
    districts: list[Text] = Field(min_length=1, max_length=200, description="Where newcomers are settled")
    max_district_share: StrictFloat | None = Field(
        default=None, gt=0, le=1, description="Overrides the service's spread guard for this municipality"
    )

    @model_validator(mode="after")
    def _code_matches_country(self) -> "MunicipalityCreate":
        digits = 4 if self.country is Country.NO else 3
        if not (self.code.isdigit() and len(self.code) == digits):
            raise ValueError(f"a municipality code in {self.country} has {digits} digits")
        if len(set(self.districts)) != len(self.districts):
            raise ValueError("districts must be distinct")
        return self


class Municipality(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=4)
    country: Country
    name: str = Field(max_length=200)
    districts: list[str] = Field(sa_column=Column(JSON, nullable=False))
    max_district_share: float | None = None


class QuotaSet(SQLModel):
    requested: StrictInt = Field(
        ge=0, le=10_000, description="How many refugees the state asked the municipality to settle"
    )


class Quota(SQLModel, table=True):
    municipality_code: str = Field(foreign_key="municipality.code", primary_key=True, max_length=4)
    year: int = Field(primary_key=True)
    requested: int


# --- the register ---------------------------------------------------------------------------


class NewcomerDetails(SQLModel):
    """What an officer may correct after registration."""

    given_name: Text
    family_name: Text
    sex: Sex
    languages: list[LanguageCode] = Field(
        default_factory=list, max_length=20, description="ISO 639 codes, e.g. ar, ti, prs"
    )
    education_level: EducationLevel = EducationLevel.UNKNOWN
    phone: Phone | None = None
    email: Email | None = None
    address: Annotated[str, StringConstraints(max_length=300), AfterValidator(lines)] | None = None


class NewcomerCreate(NewcomerDetails):
    birth_date: IsoDate
    country_of_origin: CountryCode = Field(description="ISO 3166-1 alpha-2, e.g. SY, ER")
    arrival_route: ArrivalRoute = ArrivalRoute.RESETTLEMENT
    residence_permit_date: IsoDate | None = None
    arrival_date: IsoDate | None = None
    external_reference: CaseNumber | None = Field(
        default=None, description="The state's case number (e.g. DUF in Norway), if known"
    )
    consents: list[ConsentPurpose] = Field(
        default_factory=list, max_length=10, description="Consents given at registration"
    )
    registered_in: MunicipalityCode | None = Field(
        default=None,
        description="The municipality registering them, one the token acts for; may be left out when it "
        "names only one. Its staff see the newcomer until they are settled.",
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> "NewcomerCreate":
        today = date.today()
        for name in ("birth_date", "residence_permit_date", "arrival_date"):
            value = getattr(self, name)
            if value is not None and value > today:
                raise ValueError(f"{name} must not be in the future")
        if self.arrival_date and self.arrival_date < self.birth_date:
            raise ValueError("arrival_date must not be before birth_date")
        return self


class NewcomerUpdate(SQLModel):
    """A correction: fields left out stay as they are; `null` clears only what may be empty."""

    given_name: Text | SkipJsonSchema[None] = None
    family_name: Text | SkipJsonSchema[None] = None
    sex: Sex | SkipJsonSchema[None] = None
    languages: Annotated[list[LanguageCode], MaxLen(20)] | SkipJsonSchema[None] = None
    education_level: EducationLevel | SkipJsonSchema[None] = None
    phone: Phone | None = None
    email: Email | None = None
    address: Annotated[str, StringConstraints(max_length=300), AfterValidator(lines)] | None = None

    @field_validator("given_name", "family_name", "sex", "languages", "education_level")
    @classmethod
    def _not_removed(cls, value: Any) -> Any:
        if value is None:  # absent means unchanged; null would empty a field every newcomer has
            raise ValueError("may be corrected but not removed: give a value, or leave the field out")
        return value


class Newcomer(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("external_reference"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    given_name: str = Field(max_length=200)
    family_name: str = Field(max_length=200)
    birth_date: date
    sex: Sex
    country_of_origin: str = Field(max_length=2)
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    education_level: EducationLevel
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    arrival_route: ArrivalRoute
    residence_permit_date: date | None = None
    arrival_date: date | None = None
    external_reference: str | None = Field(default=None, max_length=40)
    identity_key: str = Field(index=True, max_length=500, description="Normalised name, birth date, origin")
    search_name: str = Field(default="", max_length=500, description="The name as search folds it")
    status: NewcomerStatus = Field(default=NewcomerStatus.REGISTERED, index=True)
    registered_at: datetime = Field(default_factory=_now)
    registered_in: str | None = Field(default=None, index=True, max_length=4)
    municipality_code: str | None = Field(default=None, index=True, max_length=4)
    district: str | None = Field(default=None, index=True, max_length=200)
    settled_on: date | None = None
    household_id: UUID | None = Field(default=None, foreign_key="household.id", index=True)
    household_relation: HouseholdRelation | None = None
    departed_on: date | None = None
    departure_reason: DepartureReason | None = None

    def age_group_on(self, day: date) -> AgeGroup:
        had_birthday = (day.month, day.day) >= (self.birth_date.month, self.birth_date.day)
        age = day.year - self.birth_date.year - (0 if had_birthday else 1)
        return AgeGroup.ADULT if age >= ADULT_AGE else AgeGroup.CHILD


class NewcomerPublic(SQLModel):
    id: UUID
    given_name: str
    family_name: str
    birth_date: IsoDate
    sex: Sex
    country_of_origin: str
    languages: list[str]
    education_level: EducationLevel
    phone: str | None
    email: str | None
    address: str | None
    arrival_route: ArrivalRoute
    residence_permit_date: IsoDate | None
    arrival_date: IsoDate | None
    external_reference: str | None
    status: NewcomerStatus
    registered_at: datetime
    registered_in: str | None
    municipality_code: str | None
    district: str | None
    settled_on: IsoDate | None
    household_id: UUID | None
    household_relation: HouseholdRelation | None
    departed_on: IsoDate | None
    departure_reason: DepartureReason | None
    consents: list[ConsentPurpose] = Field(default_factory=list, description="Consents in force now")


# --- settlement -----------------------------------------------------------------------------


class SettlementCreate(SQLModel):
    municipality_code: MunicipalityCode
    district: Text
    settled_on: IsoDate
    override_reason: Text | None = Field(
        default=None, description="Settle although the quota or the district's share is exceeded, and why"
    )
    placement_decided_on: IsoDate | None = Field(
        default=None,
        description="The state's decision placing the newcomer in the municipality (Denmark: the "
        "Immigration Service's visitation, integrationsloven § 10); Denmark's takeover counts from it",
    )
    registered_resident_on: IsoDate | None = Field(
        default=None,
        description="Registered as resident in the municipality (Denmark: CPR; Norway: Folkeregisteret); "
        "Denmark's takeover of a quota refugee or a family-reunified person counts from it",
    )
    early_takeover_on: IsoDate | None = Field(
        default=None,
        description="An earlier takeover the newcomer consented to (integrationsloven § 4, stk. 2)",
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> "SettlementCreate":
        if self.placement_decided_on is not None and self.placement_decided_on > self.settled_on:
            raise ValueError("placement_decided_on comes before the newcomer is settled, or on that day")
        if (
            self.early_takeover_on is not None
            and self.placement_decided_on is not None
            and self.early_takeover_on < self.placement_decided_on
        ):
            raise ValueError("early_takeover_on cannot come before placement_decided_on")
        return self


class Settlement(SQLModel, table=True):
    """The fact that a newcomer was settled; quota and spread reports count these."""

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    newcomer_id: UUID = Field(foreign_key="newcomer.id", unique=True)
    municipality_code: str = Field(foreign_key="municipality.code", index=True, max_length=4)
    district: str = Field(max_length=200)
    settled_on: date
    year: int = Field(index=True)
    family_reunification: bool
    override_reason: str | None = Field(default=None, max_length=200)


class SettlementTally(SQLModel, table=True):
    """How many a municipality settled in a district in a year, kept with each settlement.

    The quota and spread rules read these few rows rather than count the
    year's settlements on every request (a country's capital settles
    thousands a year).
    """

    __tablename__ = "settlement_tally"

    municipality_code: str = Field(foreign_key="municipality.code", primary_key=True, max_length=4)
    year: int = Field(primary_key=True)
    district: str = Field(primary_key=True, max_length=200)
    by_quota: int = 0
    family_reunification: int = 0
    family_reunification_children: int = 0  # of family_reunification: under 18 on the day settled


@dataclass(frozen=True)
class YearTally:
    """A municipality's settlements in a year: within the quota, through family reunification, by district."""

    by_quota: int
    family_reunification: int
    family_reunification_children: int
    by_district: dict[str, int]  # all settlements, quota or not


class QuotaLine(SQLModel):
    municipality_code: str
    municipality_name: str
    year: int
    requested: int | None
    settled: int
    family_reunification: int
    family_reunification_adults: int
    family_reunification_children: int
    remaining: int | None


class DistrictLine(SQLModel):
    district: str
    settled: int
    share: float


class DistrictReport(SQLModel):
    municipality_code: str
    year: int
    total: int
    max_district_share: float
    districts: list[DistrictLine]


# --- households, consent, departure, plans --------------------------------------------------


class Household(SQLModel, table=True):
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    created_at: datetime = Field(default_factory=_now)


class MemberAdd(SQLModel):
    newcomer_id: UUID
    relation: HouseholdRelation


class HouseholdCreate(SQLModel):
    members: list[MemberAdd] = Field(min_length=1, max_length=50)


class MemberPublic(SQLModel):
    newcomer_id: UUID
    relation: HouseholdRelation | None
    age_group: AgeGroup
    status: NewcomerStatus


class HouseholdPublic(SQLModel):
    id: UUID
    created_at: datetime
    members: list[MemberPublic]


class Consent(SQLModel, table=True):
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    newcomer_id: UUID = Field(foreign_key="newcomer.id", index=True)
    purpose: ConsentPurpose
    given_at: datetime
    withdrawn_at: datetime | None = None


class ConsentGive(SQLModel):
    purpose: ConsentPurpose


class ConsentPublic(SQLModel):
    purpose: ConsentPurpose
    given_at: datetime
    withdrawn_at: datetime | None


class DepartureCreate(SQLModel):
    reason: DepartureReason
    departed_on: IsoDate


class IntegrationPlanSet(SQLModel):
    end_goal: EndGoal
    language_goal: CefrLevel
    programme_months: StrictInt = Field(
        ge=1, le=48, description="Planned length of the introduction programme"
    )
    agreed_on: IsoDate


class LegalDates(SQLModel):
    """Dates the law counts from, recorded after the settlement; each one left out stays as it was."""

    placement_decided_on: IsoDate | None = Field(
        default=None, description="The state's decision placing the newcomer (Denmark: the visitation)"
    )
    registered_resident_on: IsoDate | None = Field(
        default=None, description="Registered as resident in the municipality (Denmark: CPR)"
    )
    early_takeover_on: IsoDate | None = Field(
        default=None,
        description="An earlier takeover the newcomer consented to (integrationsloven § 4, stk. 2)",
    )

    @model_validator(mode="after")
    def _some_date(self) -> "LegalDates":
        if (
            self.placement_decided_on is None
            and self.registered_resident_on is None
            and self.early_takeover_on is None
        ):
            raise ValueError(
                "give at least one of placement_decided_on, registered_resident_on, early_takeover_on"
            )
        if (
            self.early_takeover_on is not None
            and self.placement_decided_on is not None
            and self.early_takeover_on < self.placement_decided_on
        ):
            raise ValueError("early_takeover_on cannot come before placement_decided_on")
        return self


class HealthAssessmentOffer(SQLModel):
    offered_on: IsoDate = Field(description="The day the offer was made to the newcomer")


class IntegrationPlan(IntegrationPlanSet, table=True):
    called: ClassVar[str] = "integration plan for newcomer"  # in errors: "No integration plan for newcomer …"

    __tablename__ = "integration_plan"

    newcomer_id: UUID = Field(foreign_key="newcomer.id", primary_key=True)
    updated_at: datetime = Field(default_factory=_now)


# --- handover between municipalities --------------------------------------------------------


class HandoverCreate(SQLModel):
    to_municipality_code: MunicipalityCode
    reason: Text | None = None


class HandoverAccept(SQLModel):
    to_district: Text


class HandoverDecline(SQLModel):
    reason: Text


class HandoverComplete(SQLModel):
    completed_on: IsoDate


class Handover(SQLModel, table=True):
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    newcomer_id: UUID = Field(foreign_key="newcomer.id", index=True)
    from_municipality_code: str = Field(max_length=4)
    to_municipality_code: str = Field(foreign_key="municipality.code", max_length=4)
    to_district: str | None = Field(default=None, max_length=200)
    status: HandoverStatus = Field(default=HandoverStatus.REQUESTED, index=True)
    reason: str | None = Field(default=None, max_length=200)
    decision_reason: str | None = Field(default=None, max_length=200)
    requested_at: datetime = Field(default_factory=_now)
    decided_at: datetime | None = None
    completed_on: date | None = None


def public(newcomer: Newcomer, consents: list[ConsentPurpose]) -> NewcomerPublic:
    fields: dict[str, Any] = newcomer.model_dump()
    return NewcomerPublic(**fields, consents=consents)


# --- coordination: every agency's events about a newcomer, and what was flagged -------------


class JourneyEntry(SQLModel, table=True):
    """One agency's event about a newcomer, as published (events carry ids, dates and codes only)."""

    __tablename__ = "journey_entry"

    source: str = Field(primary_key=True, max_length=255)
    event_id: str = Field(primary_key=True, max_length=64)
    newcomer_id: UUID = Field(index=True)
    agency: str = Field(max_length=40)
    type: str = Field(max_length=255)
    occurred_on: date = Field(
        description="The date the event is about, e.g. settled_on; else when it was sent"
    )
    recorded_at: datetime = Field(description="When the agency published it (CloudEvents time)")
    facts: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class JourneyEntryPublic(SQLModel):
    occurred_on: IsoDate
    agency: str
    type: str
    recorded_at: datetime
    facts: dict[str, Any]


class CoordinationNotice(SQLModel, table=True):
    """A clock breach or registration gap already published, so each is published once."""

    __tablename__ = "coordination_notice"

    newcomer_id: UUID = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=80)
    reference: str = Field(primary_key=True, max_length=120)
    published_at: datetime = Field(default_factory=_now)


class AccessRecord(SQLModel, table=True):
    """Another agency's staff read or changed a newcomer's data (its access event): for their access log."""

    __tablename__ = "access_record"

    agency: str = Field(primary_key=True, max_length=40)
    entry_id: int = Field(primary_key=True)  # the agency's audit entry
    newcomer_id: UUID = Field(primary_key=True, index=True)
    at: datetime
    role: str = Field(max_length=32)
    purpose: str = Field(max_length=255)
    changed: bool


class AccessLogLine(SQLModel):
    """One look at the person's data, as the person sees it: which agency, when, why."""

    agency: str
    at: datetime
    role: str
    purpose: str
    changed: bool


class ErasureRequest(SQLModel, table=True):
    """A request to erase what identifies a newcomer, in every agency."""

    __tablename__ = "erasure_request"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    newcomer_id: UUID = Field(index=True, unique=True)
    legal_ground: LegalGround
    retention_rule: str | None = Field(default=None, max_length=64)  # whose period ran, if no officer asked
    requested_at: datetime = Field(default_factory=_now)


class ErasureProof(SQLModel, table=True):
    """One agency's part of an erasure: pending until its erasure-completed event arrives with the proof."""

    __tablename__ = "erasure_proof"

    erasure_id: UUID = Field(foreign_key="erasure_request.id", primary_key=True)
    agency: str = Field(primary_key=True, max_length=40)
    completed_at: datetime | None = None
    newcomer_hash: str | None = Field(default=None, max_length=64)
    rows_removed: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    rows_remaining: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ErasureCreate(SQLModel):
    legal_ground: LegalGround


class AgencyErasure(SQLModel):
    agency: str
    status: str  # "pending" or "completed"
    completed_at: datetime | None
    rows_removed: dict[str, int]
    rows_remaining: dict[str, int]


class ErasureStatus(SQLModel):
    erasure_id: UUID
    newcomer_id: UUID
    legal_ground: LegalGround
    retention_rule: str | None = Field(
        default=None,
        description="The retention rule whose period ran, when the register erased of its own accord",
    )
    requested_at: datetime
    complete: bool  # every agency answered, and none keeps a row that identifies the newcomer
    agencies: list[AgencyErasure]
