"""Job-centre cases: tables and the API's response schemas."""

import calendar
from datetime import UTC, date, datetime
from enum import StrEnum
from uuid import UUID

from sqlmodel import Field, SQLModel


class CaseStatus(StrEnum):
    OPEN = "open"


class CaseBase(SQLModel):
    municipality_code: str = Field(max_length=16, index=True)
    settled_on: date
    competence_mapping_due_on: date
    status: CaseStatus = Field(default=CaseStatus.OPEN, index=True)


class Case(CaseBase, table=True):
    newcomer_id: UUID = Field(primary_key=True)
    opened_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class CasePublic(CaseBase):
    newcomer_id: UUID
    opened_at: datetime


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day if it has fewer days."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
