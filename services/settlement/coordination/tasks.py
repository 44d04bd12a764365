"""Every agency's tasks per newcomer, as their `task.changed` events tell them: the coordinator sees what
is open where, and since when, without the tasks' titles or who holds them."""

from collections.abc import Iterable
from datetime import date
from uuid import UUID

from pydantic import BaseModel

from shared.contracts.events import education, employment, settlement, volunteering

from .journey import Journey

TASK_EVENTS = (
    settlement.SettlementTaskChanged,
    education.EducationTaskChanged,
    employment.EmploymentTaskChanged,
    volunteering.VolunteeringTaskChanged,
)


class AgencyTask(BaseModel):
    agency: str
    task_id: UUID
    newcomer_id: UUID
    municipality_code: str | None  # where the newcomer lives now
    kind: str
    reference: str
    status: str
    due_on: date | None
    assigned: bool
    changed_on: date


def tasks_of(journey: Journey, as_of: date) -> list[AgencyTask]:
    """The newcomer's tasks in every agency, each as its latest change tells it."""
    latest = {}
    for entry in journey.of(*TASK_EVENTS):  # in order: a later change replaces an earlier one
        latest[(entry.agency, entry.facts["task_id"])] = entry
    code = journey.municipality_on(as_of)
    return [
        AgencyTask(
            agency=entry.agency,
            newcomer_id=journey.newcomer_id,
            municipality_code=code,
            **{name: entry.facts[name] for name in ("task_id", "kind", "reference", "status", "due_on")},
            assigned=entry.facts["assigned"],
            changed_on=entry.occurred_on,
        )
        for entry in latest.values()
    ]


def open_tasks(
    journeys: Iterable[Journey], as_of: date, *, agency: str | None, municipality_code: str | None
) -> list[AgencyTask]:
    """The tasks not done yet, soonest due first, per agency and municipality if asked."""
    found = [
        task
        for journey in journeys
        for task in tasks_of(journey, as_of)
        if task.status != "done"
        and (agency is None or task.agency == agency)
        and (municipality_code is None or task.municipality_code == municipality_code)
    ]
    return sorted(found, key=lambda t: (t.due_on is None, t.due_on or as_of, t.agency, str(t.task_id)))
