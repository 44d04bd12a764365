"""Moving municipality: the case is handed over, never duplicated.

requested → accepted → completed, or requested → rejected, or
requested/accepted → revoked. On completion the same newcomer record moves to
the receiving municipality, and every agency transfers or closes its record.

Each step is one municipality's to take: the sending one requests and
revokes; the receiving one accepts, rejects and completes (the newcomer has
arrived). Staff of the receiving municipality see the newcomer while the
handover is open; the sending one stops seeing them once it is completed.
"""

from datetime import UTC, datetime
from uuid import UUID

from shared.contracts.events.settlement import (
    HandoverAccepted,
    HandoverCompleted,
    HandoverRejected,
    HandoverRequested,
    HandoverRevoked,
)
from shared.errors import Conflict, Invalid, NotFound

from ..models import (
    Handover,
    HandoverAccept,
    HandoverComplete,
    HandoverCreate,
    HandoverStatus,
    Municipality,
    Newcomer,
    NewcomerStatus,
)
from ..store import SettlementStore
from .register import share_personal_data


async def request_handover(store: SettlementStore, newcomer_id: UUID, data: HandoverCreate) -> Handover:
    newcomer = await store.existing(Newcomer, newcomer_id)
    if newcomer.status is not NewcomerStatus.SETTLED or newcomer.municipality_code is None:
        raise Conflict(
            f"Newcomer {newcomer_id} is {newcomer.status}; only settled newcomers are handed over."
        )
    if data.to_municipality_code == newcomer.municipality_code:
        raise Invalid(f"Newcomer {newcomer_id} lives in {newcomer.municipality_code} already.")
    if not await store.is_municipality(data.to_municipality_code):  # any, not only the token's
        raise NotFound("municipality", data.to_municipality_code)
    if any(h.status.is_open for h in await store.handovers_of(newcomer_id)):
        raise Conflict(f"Newcomer {newcomer_id} has an open handover; complete or revoke it first.")
    handover = Handover(
        newcomer_id=newcomer_id,
        from_municipality_code=newcomer.municipality_code,
        to_municipality_code=data.to_municipality_code,
        reason=data.reason,
    )
    store.add(handover)
    store.emit(
        HandoverRequested(
            newcomer_id=newcomer_id,
            handover_id=handover.id,
            from_municipality_code=handover.from_municipality_code,
            to_municipality_code=handover.to_municipality_code,
        )
    )
    return handover


async def accept_handover(store: SettlementStore, handover_id: UUID, data: HandoverAccept) -> Handover:
    handover = await _in_status(store, handover_id, HandoverStatus.REQUESTED, "accept")
    _check_receiver(store, handover, "accepts")
    receiver = await store.existing(Municipality, handover.to_municipality_code)
    if data.to_district not in receiver.districts:
        raise Invalid(f"{receiver.name} has no district {data.to_district!r}.")
    _decide(handover, HandoverStatus.ACCEPTED)
    handover.to_district = data.to_district
    store.emit(
        HandoverAccepted(
            newcomer_id=handover.newcomer_id,
            handover_id=handover.id,
            to_municipality_code=handover.to_municipality_code,
            to_district=data.to_district,
        )
    )
    return handover


async def reject_handover(store: SettlementStore, handover_id: UUID, reason: str) -> Handover:
    handover = await _in_status(store, handover_id, HandoverStatus.REQUESTED, "reject")
    _check_receiver(store, handover, "rejects")
    _decide(handover, HandoverStatus.REJECTED, reason)
    store.emit(HandoverRejected(newcomer_id=handover.newcomer_id, handover_id=handover.id))
    return handover


async def complete_handover(store: SettlementStore, handover_id: UUID, data: HandoverComplete) -> Handover:
    handover = await _in_status(store, handover_id, HandoverStatus.ACCEPTED, "complete")
    _check_receiver(store, handover, "completes")
    newcomer = await store.existing(Newcomer, handover.newcomer_id)
    if newcomer.settled_on and data.completed_on < newcomer.settled_on:
        raise Invalid("completed_on must not be before the settlement date.")
    assert handover.to_district is not None  # set when accepted
    handover.status = HandoverStatus.COMPLETED
    handover.completed_on = data.completed_on
    newcomer.municipality_code = handover.to_municipality_code
    newcomer.district = handover.to_district
    store.emit(
        HandoverCompleted(
            newcomer_id=newcomer.id,
            handover_id=handover.id,
            from_municipality_code=handover.from_municipality_code,
            to_municipality_code=handover.to_municipality_code,
            to_district=handover.to_district,
            completed_on=data.completed_on,
        )
    )
    await share_personal_data(store, newcomer)
    return handover


async def revoke_handover(store: SettlementStore, handover_id: UUID, reason: str) -> Handover:
    handover = await _existing(store, handover_id)
    sender = handover.from_municipality_code
    store.check_acts_for(sender, f"Only the sending municipality, {sender}, revokes the handover.")
    if not handover.status.is_open:
        raise Conflict(f"Handover {handover_id} is {handover.status}; only open handovers can be revoked.")
    _decide(handover, HandoverStatus.REVOKED, reason)
    store.emit(HandoverRevoked(newcomer_id=handover.newcomer_id, handover_id=handover.id))
    return handover


def _check_receiver(store: SettlementStore, handover: Handover, step: str) -> None:
    receiver = handover.to_municipality_code
    store.check_acts_for(receiver, f"Only the receiving municipality, {receiver}, {step} the handover.")


def _decide(handover: Handover, status: HandoverStatus, reason: str | None = None) -> None:
    handover.status = status
    handover.decision_reason = reason
    handover.decided_at = datetime.now(UTC)


async def _existing(store: SettlementStore, handover_id: UUID) -> Handover:
    handover = await store.existing(Handover, handover_id)
    return handover


async def _in_status(
    store: SettlementStore, handover_id: UUID, status: HandoverStatus, action: str
) -> Handover:
    handover = await _existing(store, handover_id)
    if handover.status is not status:
        raise Conflict(f"Handover {handover_id} is {handover.status}; only a {status} handover can {action}.")
    return handover
