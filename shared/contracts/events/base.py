"""What every catalogued event is."""

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.contracts.codes import Key, Sha256, reference_text


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


class AccessRecorded(Event):
    """An agency's staff read or changed a newcomer's data: one line of the person's access log.

    Each agency but settlement publishes its own subtype on `<agency>.access-log`,
    read by settlement alone. It says which agency, when, in which role, why
    (the route's purpose) and whether anything changed; never who the staff
    member was, nor what they saw.
    """

    entry_id: int  # the agency's audit entry
    at: datetime
    role: Key
    purpose: str = reference_text("the route's purpose, from the service's code")
    changed: bool


class TaskChanged(Event):
    """A task on an agency's worklist was raised, assigned, started, finished or closed by itself.

    Each agency publishes its own subtype on its case topic, so the coordinator
    sees every agency's open tasks per newcomer. It says which task, of which
    kind and reference, its status, due date and whether someone holds it;
    never its title, nor who holds it.
    """

    task_id: UUID
    kind: Key
    reference: str = reference_text(
        "the task's reference: a rule id, a gap's kind and record, an alert's key"
    )
    status: Key
    due_on: date | None
    assigned: bool
    changed_on: date


class ErasureCompleted(Event):
    """An agency erased what identified the newcomer: its answer to `ErasureRequested`, with proof.

    Each agency but settlement publishes its own subtype on its case topic.
    The proof is what its store held about the newcomer before and after, per
    table (`rows_remaining` all zero where the agency keeps nothing), and a
    one-way hash of the id, kept where the id itself is gone.
    """

    erasure_id: UUID
    newcomer_hash: Sha256  # sha256 of the newcomer id
    rows_removed: dict[Key, int]  # per table
    rows_remaining: dict[Key, int]
    completed_at: datetime


def explained_by_note(data: Any) -> Any:
    """Reads a record of the time when the note itself travelled: a note given means explained."""
    if isinstance(data, dict) and data.get("note") and "explained" not in data:
        return {**data, "explained": True}
    return data
