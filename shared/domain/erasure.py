"""An agency's part of an erasure: remove what identifies the newcomer, and answer settlement with proof."""

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlmodel import SQLModel

from shared.contracts.events import ErasureCompleted
from shared.contracts.events.settlement import ErasureRequested
from shared.runtime.store import Store


def newcomer_hash(newcomer_id: UUID) -> str:
    """The one-way hash an erasure's proof names the newcomer by."""
    return hashlib.sha256(str(newcomer_id).encode()).hexdigest()


async def erase_and_answer(
    store: Store,
    event: ErasureRequested,
    answer: type[ErasureCompleted],
    *,
    delete: Sequence[type[SQLModel]],
    clear: Mapping[type[SQLModel], tuple[str, ...]],
) -> ErasureCompleted:
    """Deletes the rows that identify the newcomer (`delete`), empties staff's free text about them
    (`clear`); the case rows keep their ids, codes and dates for the figures, and no longer lead to a
    person. Publishes `answer` with what was removed and what remains."""
    removed, remaining = await store.erase_about(event.newcomer_id, delete=delete, clear=clear)
    completed = answer(
        newcomer_id=event.newcomer_id,
        erasure_id=event.erasure_id,
        newcomer_hash=newcomer_hash(event.newcomer_id),
        rows_removed=removed,
        rows_remaining=remaining,
        completed_at=datetime.now(UTC),
    )
    store.emit(completed)
    return completed
