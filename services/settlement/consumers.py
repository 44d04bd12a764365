"""The agencies' events this service reads: every case event, into the newcomer's journey.

Settlement's own events come back this way too, so a journey is the same
whether rebuilt by replay or built as events arrive.
"""

from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.envelope import Envelope
from shared.contracts.events import Event
from shared.runtime.routing import AnyHandler, WithEnvelope

from .coordination import JOURNEY_EVENTS
from .coordination.handlers import record_in_journey
from .models import JourneyEntry
from .store import SettlementStore


async def _into_journey(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    await record_in_journey(SettlementStore(session), event, envelope)


CONSUMES: dict[type[Any], AnyHandler] = {event: WithEnvelope(_into_journey) for event in JOURNEY_EVENTS}


async def prepare(session: AsyncSession, batch: Sequence[tuple[Any, Envelope]]) -> None:
    """Loads which of a batch's events the journeys hold already (after a replay from scratch, all)."""
    await SettlementStore(session).load(
        JourneyEntry, {(envelope.source, envelope.id) for _, envelope in batch}
    )
