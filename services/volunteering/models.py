"""Match requests: tables and the API's response schemas.

Volunteer organisations are not public agencies: a request exists only for a
newcomer who consented to volunteer contact, and holds no personal details.
"""

from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from shared.events.volunteering import MatchKind


class MatchRequestStatus(StrEnum):
    OPEN = "open"


class MatchRequestBase(SQLModel):
    newcomer_id: UUID = Field(index=True)
    kind: MatchKind
    municipality_code: str = Field(max_length=16, index=True)
    district: str = Field(max_length=100)
    status: MatchRequestStatus = Field(default=MatchRequestStatus.OPEN, index=True)


class MatchRequest(MatchRequestBase, table=True):
    __tablename__ = "match_request"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    opened_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class MatchRequestPublic(MatchRequestBase):
    id: UUID
    opened_at: datetime
