"""The newcomer register: tables and the API's request and response schemas."""

from datetime import UTC, date, datetime
from enum import StrEnum
from uuid import UUID, uuid4

from pydantic import field_validator
from sqlmodel import Field, SQLModel

from shared.events.settlement import AgeGroup

ADULT_AGE = 18


class NewcomerStatus(StrEnum):
    REGISTERED = "registered"
    SETTLED = "settled"


class NewcomerBase(SQLModel):
    given_name: str = Field(min_length=1, max_length=200)
    family_name: str = Field(min_length=1, max_length=200)
    birth_date: date
    country_of_origin: str = Field(
        min_length=2, max_length=2, description="ISO 3166-1 alpha-2 code, e.g. SY, AF, ER"
    )
    volunteer_contact_consent: bool = Field(
        default=False, description="Consent to be contacted by volunteer organisations"
    )

    @field_validator("country_of_origin")
    @classmethod
    def _upper_alpha(cls, value: str) -> str:
        if not value.isalpha():
            raise ValueError("must be two letters")
        return value.upper()

    @field_validator("birth_date")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("must not be in the future")
        return value


class NewcomerCreate(NewcomerBase):
    pass


class Newcomer(NewcomerBase, table=True):
    id: UUID = Field(default_factory=uuid4, primary_key=True)
    status: NewcomerStatus = Field(default=NewcomerStatus.REGISTERED, index=True)
    registered_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    municipality_code: str | None = Field(default=None, index=True, max_length=16)
    district: str | None = Field(default=None, max_length=100)
    settled_on: date | None = None

    def age_group_on(self, day: date) -> AgeGroup:
        had_birthday = (day.month, day.day) >= (self.birth_date.month, self.birth_date.day)
        age = day.year - self.birth_date.year - (0 if had_birthday else 1)
        return AgeGroup.ADULT if age >= ADULT_AGE else AgeGroup.CHILD


class NewcomerPublic(NewcomerBase):
    id: UUID
    status: NewcomerStatus
    registered_at: datetime
    municipality_code: str | None
    district: str | None
    settled_on: date | None


class SettlementCreate(SQLModel):
    municipality_code: str = Field(
        min_length=1, max_length=16, description="Official municipality number, e.g. 0301 or 530"
    )
    district: str = Field(min_length=1, max_length=100)
    settled_on: date
