"""What every catalogued event is."""

from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """A fact one agency tells the others, about one newcomer.

    `type` is the versioned CloudEvents type; `topic` is the publishing agency's
    topic. Events carry ids, dates and codes — never names or health data.
    Unknown fields are ignored, so a v1 consumer reads a v1 event with fields
    added later.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: ClassVar[str]
    topic: ClassVar[str]

    newcomer_id: UUID

    @property
    def subject(self) -> str:
        return str(self.newcomer_id)
