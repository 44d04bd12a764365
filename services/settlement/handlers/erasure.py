"""ErasureRequest across agencies: settlement erases what identifies the newcomer in its register, tells every
agency to do the same, and keeps each agency's proof as it answers."""

from datetime import date
from uuid import UUID

from shared.contracts.agencies import Agency, owner_of
from shared.contracts.events import ErasureCompleted
from shared.contracts.events.settlement import ErasureRequested, PersonalDetails, VolunteerContact
from shared.domain.erasure import newcomer_hash
from shared.errors import Conflict, NotFound

from ..models import (
    AgencyErasure,
    ErasureCreate,
    ErasureProof,
    ErasureRequest,
    ErasureStatus,
    Newcomer,
)
from ..store import SettlementStore

ANSWERING = (Agency.EDUCATION, Agency.EMPLOYMENT, Agency.VOLUNTEERING)  # each erases and proves it
IDENTIFYING = ("given_name", "family_name", "phone", "email", "address", "external_reference", "search_name")


def _identifies(newcomer: Newcomer) -> bool:
    return any(getattr(newcomer, name) for name in IDENTIFYING) or not newcomer.identity_key.startswith(
        "erased:"
    )


def _erase_register(newcomer: Newcomer) -> None:
    """The register keeps the anonymous facts the figures count (status, municipality, dates, origin,
    sex, birth year); the name, contacts, case number and the keys that would find them go."""
    newcomer.given_name = newcomer.family_name = newcomer.search_name = ""
    newcomer.phone = newcomer.email = newcomer.address = newcomer.external_reference = None
    newcomer.birth_date = date(newcomer.birth_date.year, 1, 1)
    newcomer.identity_key = f"erased:{newcomer_hash(newcomer.id)}"


async def request_erasure(
    store: SettlementStore, newcomer_id: UUID, data: ErasureCreate, *, retention_rule: str | None = None
) -> ErasureStatus:
    """Erases the register's part at once and asks every agency for theirs; `retention_rule` names the
    rule whose period ran, when no officer asked."""
    newcomer = await store.existing(Newcomer, newcomer_id)
    if (earlier := await store.erasure_of(newcomer_id)) is not None:
        raise Conflict(f"The newcomer's erasure was requested on {earlier.requested_at:%Y-%m-%d}.")
    erasure = ErasureRequest(
        newcomer_id=newcomer_id, legal_ground=data.legal_ground, retention_rule=retention_rule
    )
    store.add_row(erasure)
    await store.flush()  # before its proofs, which refer to it
    held = int(_identifies(newcomer))
    _erase_register(newcomer)
    store.add_row(
        ErasureProof(
            erasure_id=erasure.id,
            agency=Agency.SETTLEMENT,
            completed_at=erasure.requested_at,
            newcomer_hash=newcomer_hash(newcomer_id),
            rows_removed={"newcomer (name, contact, case number)": held},
            rows_remaining={"newcomer (name, contact, case number)": int(_identifies(newcomer))},
        )
    )
    for agency in ANSWERING:
        store.add_row(ErasureProof(erasure_id=erasure.id, agency=agency))
    # Kafka forgets the per-person records once compacted; every agency is told to erase.
    store.forget(PersonalDetails, str(newcomer_id))
    store.forget(VolunteerContact, str(newcomer_id))
    store.emit(
        ErasureRequested(
            newcomer_id=newcomer_id,
            erasure_id=erasure.id,
            legal_ground=data.legal_ground,
            requested_on=erasure.requested_at.date(),
        )
    )
    await store.flush()
    return await erasure_status(store, newcomer_id)


async def erasure_status(store: SettlementStore, newcomer_id: UUID) -> ErasureStatus:
    await store.existing(Newcomer, newcomer_id)
    erasure = await store.erasure_of(newcomer_id)
    if erasure is None:
        raise NotFound("erasure requested for newcomer", newcomer_id)
    proofs = await store.erasure_proofs(erasure.id)
    agencies = [
        AgencyErasure(
            agency=proof.agency,
            status="completed" if proof.completed_at else "pending",
            completed_at=proof.completed_at,
            rows_removed=proof.rows_removed,
            rows_remaining=proof.rows_remaining,
        )
        for proof in proofs
    ]
    complete = all(a.completed_at and not any(a.rows_remaining.values()) for a in agencies)
    return ErasureStatus(
        erasure_id=erasure.id,
        newcomer_id=newcomer_id,
        legal_ground=erasure.legal_ground,
        retention_rule=erasure.retention_rule,
        requested_at=erasure.requested_at,
        complete=complete,
        agencies=agencies,
    )


async def keep_erasure_proof(store: SettlementStore, event: ErasureCompleted) -> None:
    """An agency's answer: its part of the erasure is done, with what it held before and after."""
    proof = await store.erasure_proof(event.erasure_id, owner_of(event.topic))
    if proof is None:  # not an erasure this register asked for: nothing to record
        return
    proof.completed_at = event.completed_at
    proof.newcomer_hash = event.newcomer_hash
    proof.rows_removed = dict(event.rows_removed)
    proof.rows_remaining = dict(event.rows_remaining)
