"""Other agencies' events this service acts on, each routed to its use case."""

from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contacts import Contact, forget_contact, keep_contact
from shared.envelope import Envelope
from shared.events.employment import EmploymentStarted, PlacementEnded, PlacementStarted
from shared.events.settlement import (
    HandoverCompleted,
    HouseholdMemberAdded,
    NewcomerDeparted,
    NewcomerSettled,
    PersonalDetails,
)
from shared.events.volunteering import LanguageMentorMatched
from shared.inbox import Forget, Handler
from shared.store import on_store

from . import handlers
from .models import Learner
from .store import EducationStore

CONSUMES: dict[type[Any], Handler] = {
    NewcomerSettled: on_store(EducationStore, handlers.open_learner_record),
    HouseholdMemberAdded: on_store(EducationStore, handlers.note_household),
    HandoverCompleted: on_store(EducationStore, handlers.transfer_learner),
    NewcomerDeparted: on_store(EducationStore, handlers.close_learner_record),
    PersonalDetails: keep_contact,
    PlacementStarted: on_store(EducationStore, handlers.to_work_integrated_track),
    PlacementEnded: on_store(EducationStore, handlers.back_from_placement),
    EmploymentStarted: on_store(EducationStore, handlers.to_evening_track),
    LanguageMentorMatched: on_store(EducationStore, handlers.record_language_mentor),
}

FORGETS: dict[type[Any], Forget] = {PersonalDetails: forget_contact}


async def prepare(session: AsyncSession, batch: Sequence[tuple[Any, Envelope]]) -> None:
    """Loads a batch's learners and contacts at once: applying each event then queries nothing for them."""
    store, newcomers = EducationStore(session), {event.newcomer_id for event, _ in batch}
    await store.load(Learner, newcomers)
    await store.load(Contact, newcomers)
