"""Other agencies' events this service acts on, each routed to its use case.

Events about newcomers who did not consent are dropped without a trace
(`Only` where the event says so, `NotForUs` where the store does): not even
the inbox keeps their id.
"""

from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.envelope import Envelope
from shared.contracts.events.employment import LanguageMentorRequested, PlacementEnded
from shared.contracts.events.settlement import (
    ConsentGiven,
    ConsentWithdrawn,
    ErasureRequested,
    HandoverCompleted,
    HouseholdMemberAdded,
    NewcomerDeparted,
    NewcomerSettled,
    VolunteerContact,
)
from shared.runtime.routing import AnyHandler, Forget, Only, loading_for_newcomers, on_store

from . import handlers
from .models import Newcomer
from .store import VolunteeringStore

CONSUMES: dict[type[Any], AnyHandler] = {
    NewcomerSettled: Only(handlers.consents, on_store(VolunteeringStore, handlers.on_settled)),
    ConsentGiven: on_store(VolunteeringStore, handlers.note_consent),
    ConsentWithdrawn: on_store(VolunteeringStore, handlers.on_withdrawal),
    HouseholdMemberAdded: on_store(VolunteeringStore, handlers.on_household_member),
    HandoverCompleted: on_store(VolunteeringStore, handlers.on_relocation),
    NewcomerDeparted: on_store(VolunteeringStore, handlers.on_departure),
    VolunteerContact: on_store(VolunteeringStore, handlers.keep_volunteer_contact),
    LanguageMentorRequested: on_store(VolunteeringStore, handlers.on_mentor_requested),
    PlacementEnded: on_store(VolunteeringStore, handlers.on_placement_ended),
    ErasureRequested: on_store(VolunteeringStore, handlers.on_erasure_requested),
}

FORGETS: dict[type[Any], Forget] = {VolunteerContact: on_store(VolunteeringStore, handlers.forget_contact)}

_load_newcomers = loading_for_newcomers(VolunteeringStore, Newcomer)


async def prepare(session: AsyncSession, batch: Sequence[tuple[Any, Envelope]]) -> None:
    """A batch's consenting newcomers and their requests, loaded at once: applying each event then
    queries nothing for them."""
    await _load_newcomers(session, batch)
    await VolunteeringStore(session).load_requests(event.newcomer_id for event, _ in batch)
