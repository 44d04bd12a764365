"""The person's access log: every agency's looks at their data, as each agency's audit trail reports them."""

from uuid import UUID

from shared.contracts.agencies import owner_of
from shared.contracts.events import AccessRecorded

from ..models import AccessLogLine, AccessRecord, Newcomer
from ..store import SettlementStore


async def keep_access_record(store: SettlementStore, event: AccessRecorded) -> None:
    """Keeps another agency's access event for the newcomer's log (once, however often it comes)."""
    await store.keep_access(
        AccessRecord(
            agency=owner_of(event.topic),
            entry_id=event.entry_id,
            newcomer_id=event.newcomer_id,
            at=event.at,
            role=event.role,
            purpose=event.purpose,
            changed=event.changed,
        )
    )


async def access_log(
    store: SettlementStore, newcomer_id: UUID, *, limit: int, offset: int
) -> tuple[list[AccessLogLine], int]:
    """Who looked at the newcomer's data, newest first: settlement's own trail and every other agency's."""
    await store.existing(Newcomer, newcomer_id)  # within the staff member's scope, or not found
    return await store.access_log(newcomer_id, limit=limit, offset=offset)
