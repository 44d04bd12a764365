"""The outbox relay: publishes a store's staged events to Kafka in order, then deletes them.

It wakes after each commit that staged events (`Outbox.after_commit`) and
polls as a fallback. See `shared.runtime.outbox` for why nothing is lost.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import delete, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.runtime.db import Database
from shared.runtime.outbox import OutboxMessage

log = logging.getLogger(__name__)

OUTBOX_LOCK = 0x53414D5649524B45  # "SAMVIRKE": the advisory lock one relay holds while it publishes


async def _lead(session: AsyncSession) -> bool:
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return True
    result = await connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": OUTBOX_LOCK})
    return bool(result.scalar())


# Sends one record and returns the future of its broker acknowledgement, so a
# batch can be sent in order and acknowledged together.
Send = Callable[[OutboxMessage], Awaitable[Awaitable[object]]]


class OutboxRelay:
    """Publishes unsent outbox rows, promptly after a commit and on a slow poll."""

    def __init__(
        self,
        database: Database,
        send: Send,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        max_backoff_s: float = 10.0,
    ) -> None:
        self._database = database
        self._send = send
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._max_backoff_s = max_backoff_s
        self._wake = asyncio.Event()
        self._stopping = False

    def stop(self) -> None:
        """Asks `run` to return once the batch in hand is published and deleted."""
        self._stopping = True
        self.notify()

    def notify(self) -> None:
        """Wakes the relay now, instead of at its next poll."""
        self._wake.set()

    async def run(self) -> None:
        backoff = self._poll_interval_s
        while not self._stopping:
            try:
                while await self.publish_pending() == self._batch_size and not self._stopping:
                    pass
                backoff = self._poll_interval_s
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying in %.1fs", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval_s)
            self._wake.clear()

    async def publish_pending(self) -> int:
        """Publishes one batch of rows in order, then deletes them; returns how many were sent.

        On PostgreSQL one instance of a service publishes at a time (a
        transaction-scoped advisory lock): rows are taken in order and never
        by two relays at once, so one newcomer's events keep their order
        however many instances run. Others skip the cycle and try again.
        A SQLite store belongs to a single instance.
        """
        # A plain session, not Database.transaction(): its commit must not wake this relay again.
        async with self._database.session() as session, session.begin():
            if not await _lead(session):
                return 0
            query = select(OutboxMessage).order_by(col(OutboxMessage.position)).limit(self._batch_size)
            rows = list((await session.exec(query)).all())
            if not rows:
                return 0
            await self._publish_in_order(rows)
            if not self._database.is_sqlite:
                await _delete(session, rows)
        if self._database.is_sqlite:
            # SQLite has one writer at a time: holding it while Kafka answers (or does not,
            # when the broker is down) would stall every other write of the service.
            async with self._database.writing(), self._database.session() as session, session.begin():
                await _delete(session, rows)
        return len(rows)

    async def _publish_in_order(self, rows: Sequence[OutboxMessage]) -> None:
        acknowledgements = [await self._send(row) for row in rows]
        await asyncio.gather(*acknowledgements)


async def _delete(session: AsyncSession, rows: Sequence[OutboxMessage]) -> None:
    positions = [row.position for row in rows]
    await session.exec(delete(OutboxMessage).where(col(OutboxMessage.position).in_(positions)))
