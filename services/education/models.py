"""Learner records: tables and the API's response schemas."""

from datetime import UTC, date, datetime
from enum import StrEnum
from uuid import UUID

from sqlmodel import Field, SQLModel


class LearnerStatus(StrEnum):
    AWAITING_COURSE = "awaiting_course"


class LearnerBase(SQLModel):
    municipality_code: str = Field(max_length=16, index=True)
    district: str = Field(max_length=100)
    settled_on: date
    status: LearnerStatus = Field(default=LearnerStatus.AWAITING_COURSE, index=True)


class Learner(LearnerBase, table=True):
    newcomer_id: UUID = Field(primary_key=True)
    opened_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class LearnerPublic(LearnerBase):
    newcomer_id: UUID
    opened_at: datetime
