"""Other agencies' events this service acts on, each routed to its handler."""

from functools import partial

from sqlmodel.ext.asyncio.session import AsyncSession

from shared.events.settlement import NewcomerSettled
from shared.inbox import Handler

from . import handlers
from .config import EmploymentSettings
from .store import EmploymentStore


async def on_newcomer_settled(
    settings: EmploymentSettings, session: AsyncSession, event: NewcomerSettled
) -> None:
    await handlers.open_case(
        EmploymentStore(session), event, mapping_within_months=settings.competence_mapping_within_months
    )


def consumes(settings: EmploymentSettings) -> dict[type, Handler]:
    return {NewcomerSettled: partial(on_newcomer_settled, settings)}
