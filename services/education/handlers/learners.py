"""Learner records, opened, moved and closed by what settlement tells."""

from datetime import date

from shared.contracts.events.education import LearnerWithdrawn, WithdrawalReason
from shared.contracts.events.settlement import (
    AgeGroup,
    HandoverCompleted,
    HouseholdMemberAdded,
    NewcomerDeparted,
    NewcomerSettled,
)
from shared.runtime.store import new_row

from ..models import Learner, LearnerStatus
from ..store import EducationStore
from .seats import ACTIVE, leave_course, place


async def open_learner_record(store: EducationStore, event: NewcomerSettled) -> Learner | None:
    """A settled adult gets a learner record and a seat or a place on the waiting list.

    Children go to school, not to the language school.
    """
    if event.age_group is not AgeGroup.ADULT or await store.get_learner(event.newcomer_id) is not None:
        return None
    learner = new_row(
        Learner,
        newcomer_id=event.newcomer_id,
        municipality_code=event.municipality_code,
        district=event.district,
        settled_on=event.settled_on,
        status=LearnerStatus.WAITLISTED,
        household_id=event.household_id,
    )
    store.add(learner)
    await place(store, learner, event.settled_on)
    return learner


async def transfer_learner(store: EducationStore, event: HandoverCompleted) -> Learner | None:
    """The newcomer moved: leave the course here and take a seat (or a waiting place) there."""
    learner = await store.get_learner(event.newcomer_id)
    if learner is None or learner.status not in ACTIVE:
        return learner
    await leave_course(store, learner, event.completed_on, f"moved to {event.to_municipality_code}")
    learner.municipality_code = event.to_municipality_code
    learner.district = event.to_district
    learner.waitlisted_at = None
    await place(store, learner, event.completed_on)
    return learner


async def close_learner_record(store: EducationStore, event: NewcomerDeparted) -> Learner | None:
    learner = await store.get_learner(event.newcomer_id)
    if learner is None or learner.status not in ACTIVE:
        return learner
    await end(store, learner, WithdrawalReason.DEPARTED, event.reason, event.departed_on)
    learner.status = LearnerStatus.CLOSED
    return learner


async def end(
    store: EducationStore, learner: Learner, reason: WithdrawalReason, note: str | None, on: date
) -> None:
    await leave_course(store, learner, on, reason)
    learner.status = LearnerStatus.WITHDRAWN
    learner.end_reason = f"{reason}: {note}" if note else reason
    store.emit(
        LearnerWithdrawn(
            newcomer_id=learner.newcomer_id, reason=reason, withdrawn_on=on, explained=bool(note)
        )
    )


async def note_household(store: EducationStore, event: HouseholdMemberAdded) -> None:
    learner = await store.get_learner(event.newcomer_id)
    if learner is not None:
        learner.household_id = event.household_id
