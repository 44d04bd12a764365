"""The words a service's consumer table is written in: which event goes to which use case, and how.

A table maps each event type a service consumes to a handler on the inbox's
session: a use case on the service's store (`on_store`), one that also needs
the envelope (`WithEnvelope`), or one for some events only (`Only`). A
handler raises `NotForUs` for an event about someone the service may hold
nothing about. `Forget` erases what a tombstone names; `Prepare` loads what a
batch will look up (`loading_for_newcomers`).
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.envelope import Envelope
from shared.runtime.store import Store

Handler = Callable[[AsyncSession, Any], Awaitable[None]]
EnvelopeHandler = Callable[[AsyncSession, Any, Envelope], Awaitable[None]]
Forget = Callable[[AsyncSession, UUID], Awaitable[None]]  # a tombstone: erase what is held on the newcomer
Apply = Callable[[AsyncSession], Awaitable[None]]
Prepare = Callable[
    [AsyncSession, Sequence[tuple[Any, Envelope]]], Awaitable[None]
]  # a batch, before it applies


@dataclass(frozen=True)
class WithEnvelope:
    """A handler that also needs the event's envelope (its id, source and time), e.g. to keep a journal."""

    handle: EnvelopeHandler


@dataclass(frozen=True)
class Only:
    """A handler for the events `wanted` accepts; any other is dropped as `NotForUs` drops it.

    The event itself decides (the newcomer's consent in it, say): nothing is
    written, not even the inbox row, and the offset is committed. Deciding
    before the batch's transaction spares the rollback and the per-event
    savepoints that a `NotForUs` raised inside it costs the whole batch.
    """

    wanted: Callable[[Any], bool]
    handler: Handler | WithEnvelope


AnyHandler = Handler | WithEnvelope | Only


class NotForUs(Exception):
    """Raised by a handler when the event concerns someone this service may hold nothing about.

    The event's savepoint is rolled back, inbox row included, and the offset
    is committed: not even the event's id is kept.
    """


StoreT = TypeVar("StoreT", bound=Store)
EventT = TypeVar("EventT")


def loading_for_newcomers(
    make_store: Callable[[AsyncSession], Store], *models: type[SQLModel]
) -> Callable[[AsyncSession, Sequence[tuple[Any, Envelope]]], Awaitable[None]]:
    """A consumer's `prepare`: each model's rows (keyed by newcomer id) for a batch's newcomers, at once."""

    async def prepare(session: AsyncSession, batch: Sequence[tuple[Any, Envelope]]) -> None:
        store, newcomers = make_store(session), {event.newcomer_id for event, _ in batch}
        for model in models:
            await store.load(model, newcomers)

    return prepare


def on_store(
    make_store: Callable[[AsyncSession], StoreT], use_case: Callable[[StoreT, EventT], Awaitable[Any]]
) -> Callable[[AsyncSession, EventT], Awaitable[None]]:
    """Adapts a use case on a store into a consumer handler on the inbox's session."""

    async def handle(session: AsyncSession, event: EventT) -> None:
        await use_case(make_store(session), event)

    return handle
