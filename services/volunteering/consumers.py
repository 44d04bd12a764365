"""Other agencies' events this service acts on, each routed to its handler."""

from sqlmodel.ext.asyncio.session import AsyncSession

from shared.events.settlement import NewcomerSettled
from shared.inbox import Handler

from . import handlers
from .store import VolunteeringStore


async def on_newcomer_settled(session: AsyncSession, event: NewcomerSettled) -> None:
    await handlers.request_match(VolunteeringStore(session), event)


CONSUMES: dict[type, Handler] = {NewcomerSettled: on_newcomer_settled}
