"""Consent decides what this store may hold; erasure removes it, provably."""

import contextlib
import hashlib
from datetime import UTC, date, datetime
from uuid import UUID

from shared.contracts.events.settlement import (
    ConsentGiven,
    ConsentWithdrawn,
    ErasureRequested,
    HandoverCompleted,
    NewcomerDeparted,
    VolunteerContact,
)
from shared.contracts.events.volunteering import VolunteeringErased
from shared.runtime.routing import NotForUs

from ..models import Erasure, MatchStatus, Newcomer, PrivacyReport, RequestStatus
from ..store import VolunteeringStore
from .matching import end_match
from .requests import kind_for, open_request


def newcomer_hash(newcomer_id: UUID) -> str:
    return hashlib.sha256(str(newcomer_id).encode()).hexdigest()


async def note_consent(store: VolunteeringStore, event: ConsentGiven) -> Newcomer:
    newcomer = await store.get_newcomer(event.newcomer_id)
    if newcomer is None:
        newcomer = Newcomer(id=event.newcomer_id)
        store.add(newcomer)
    newcomer.consent_via_household = False
    return newcomer


async def keep_volunteer_contact(store: VolunteeringStore, event: VolunteerContact) -> Newcomer:
    """Settlement sends contact data only while consent lasts.

    Contact and case events travel on separate topics, in either order: a
    contact that comes first (or after consent given late) opens the request
    its age group calls for; the settled event then finds it there.
    """
    newcomer = await store.get_newcomer(event.newcomer_id)
    if newcomer is None:
        newcomer = Newcomer(id=event.newcomer_id)
        store.add(newcomer)
        await store.flush()
    newcomer.given_name = event.given_name
    newcomer.phone = event.phone
    newcomer.languages = event.languages
    newcomer.municipality_code = event.municipality_code or newcomer.municipality_code
    newcomer.district = event.district or newcomer.district
    newcomer.age_group = event.age_group or newcomer.age_group
    requests = await store.requests_of(newcomer.id)
    for request in requests:  # the channel may bring the languages after the request was opened
        if request.status is not RequestStatus.CLOSED:
            request.languages = sorted({*request.languages, *event.languages})
    if newcomer.municipality_code and newcomer.age_group and not requests:
        await open_request(store, newcomer, kind_for(newcomer.age_group), source="settlement")
    return newcomer


async def forget_contact(store: VolunteeringStore, newcomer_id: UUID) -> None:
    if (newcomer := await store.get_newcomer(newcomer_id)) is not None:
        newcomer.given_name = newcomer.phone = None


async def on_withdrawal(store: VolunteeringStore, event: ConsentWithdrawn) -> None:
    newcomer = await store.get_newcomer(event.newcomer_id)
    household = await store.household(newcomer.household_id) if newcomer and newcomer.household_id else []
    await erase(store, event.newcomer_id, "consent withdrawn", event.withdrawn_at.date())
    # Children matched through their household's consent lose it with the last consenting adult.
    consenting_adults = [m for m in household if not m.consent_via_household and m.id != event.newcomer_id]
    if not consenting_adults:
        for member in household:
            if member.consent_via_household:
                await erase(store, member.id, "household consent withdrawn", event.withdrawn_at.date())


async def on_relocation(store: VolunteeringStore, event: HandoverCompleted) -> None:
    await erase(store, event.newcomer_id, "moved municipality", event.completed_on)


async def on_departure(store: VolunteeringStore, event: NewcomerDeparted) -> None:
    await erase(store, event.newcomer_id, "departed", event.departed_on)


async def erase(store: VolunteeringStore, newcomer_id: UUID, reason: str, on: date) -> Erasure:
    """Ends active matches and deletes everything naming the newcomer; keeps volunteers' hours anonymously."""
    newcomer = await store.get_newcomer(newcomer_id)
    requests = await store.requests_of(newcomer_id)
    matches = await store.matches_of(newcomer_id)
    if newcomer is None and not requests and not matches:
        raise NotForUs  # nothing held: not even the event's id is kept
    ended = 0
    for match in matches:
        if match.status is not MatchStatus.ENDED:
            await end_match(store, match, reason, on)
            ended += 1
        match.newcomer_id = None
        match.request_id = None
    for request in requests:
        await store.delete(request)
    if newcomer is not None:
        await store.delete(newcomer)
    tasks = await store.forget_tasks(newcomer_id)  # the worklist's tasks for them, and their history
    erasure = Erasure(
        newcomer_hash=newcomer_hash(newcomer_id),
        reason=reason,
        rows_deleted=len(requests) + (newcomer is not None) + tasks,
        matches_ended=ended,
    )
    store.add(erasure)
    return erasure


async def on_erasure_requested(store: VolunteeringStore, event: ErasureRequested) -> None:
    """Erases as a withdrawn consent does, and answers settlement with what was held before and after
    (zeros for a newcomer the organisations never knew: the answer is the proof)."""
    before = await _held(store, event.newcomer_id)
    with contextlib.suppress(NotForUs):  # nothing held
        await erase(store, event.newcomer_id, f"erasure: {event.legal_ground}", event.requested_on)
    await store.flush()
    after = await _held(store, event.newcomer_id)
    store.emit(
        VolunteeringErased(
            newcomer_id=event.newcomer_id,
            erasure_id=event.erasure_id,
            newcomer_hash=newcomer_hash(event.newcomer_id),
            rows_removed={table: before[table] - after[table] for table in before},
            rows_remaining=after,
            completed_at=datetime.now(UTC),
        )
    )


async def _held(store: VolunteeringStore, newcomer_id: UUID) -> dict[str, int]:
    """Rows naming the newcomer, outbox aside (events not yet sent name them until the relay has)."""
    return {
        table: count for table, count in (await store.rows_about(newcomer_id)).items() if table != "outbox"
    }


async def privacy_report(store: VolunteeringStore, newcomer_id: UUID) -> PrivacyReport:
    digest = newcomer_hash(newcomer_id)
    return PrivacyReport(
        newcomer_hash=digest,
        rows_held=await store.rows_about(newcomer_id),
        erasures=await store.erasures(digest),
    )
