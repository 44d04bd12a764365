"""The agencies' events this service reads: every case event, into the newcomer's journey.

Settlement's own events come back this way too, so a journey is the same
whether rebuilt by replay or built as events arrive.
"""

from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.agencies import Agency
from shared.contracts.envelope import Envelope
from shared.contracts.events import Event, education, employment, volunteering
from shared.runtime.routing import AnyHandler, WithEnvelope, on_store
from shared.runtime.worklist import COORDINATION, follow_coordination

from .coordination import JOURNEY_EVENTS
from .coordination.handlers import record_in_journey
from .handlers.access import keep_access_record
from .handlers.erasure import keep_erasure_proof
from .models import JourneyEntry
from .store import SettlementStore


async def _into_journey(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    store = SettlementStore(session)
    await record_in_journey(store, event, envelope)
    if isinstance(event, COORDINATION):  # the clocks and gaps that name the refugee office: its worklist
        await follow_coordination(store, event, Agency.SETTLEMENT)


CONSUMES: dict[type[Any], AnyHandler] = {
    **{event: WithEnvelope(_into_journey) for event in JOURNEY_EVENTS},
    # the other agencies' audit trails, line by line: each person's access log
    **{
        event: on_store(SettlementStore, keep_access_record)
        for event in (
            education.EducationAccessed,
            employment.EmploymentAccessed,
            volunteering.VolunteeringAccessed,
        )
    },
    # each agency's answer to an erasure request, with its proof
    **{
        event: on_store(SettlementStore, keep_erasure_proof)
        for event in (education.EducationErased, employment.EmploymentErased, volunteering.VolunteeringErased)
    },
}


async def prepare(session: AsyncSession, batch: Sequence[tuple[Any, Envelope]]) -> None:
    """Loads which of a batch's events the journeys hold already (after a replay from scratch, all)."""
    await SettlementStore(session).load(
        JourneyEntry, {(envelope.source, envelope.id) for _, envelope in batch}
    )
