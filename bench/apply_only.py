"""A consumer's apply path without Kafka: the same records handed straight to it.

    python -m bench.apply_only [EVENTS] [BATCH] [DATABASE_URL] [SERVICE]

Separates the store and handler cost from the broker's: settlements are
built as settlement's relay sends them and applied in batches of BATCH by
the service's real EventConsumer (inbox, its records, reactions into the
outbox), on SQLite in a temporary folder unless DATABASE_URL names a store
(an empty DATABASE_URL means SQLite). SERVICE is education (the default),
employment or volunteering.
"""

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from aiokafka import ConsumerRecord
from sqlmodel import func, select

from shared.runtime.inbox import InboxEntry
from shared.service import service_of

from . import throughput


async def apply_only(events: int, batch: int, database_url: str, service: str = "education") -> float:
    work = Path(tempfile.mkdtemp(prefix="samvirke-apply-"))
    app = throughput.consumer(service, "127.0.0.1:9", "", work, database_url)
    parts = service_of(app)
    database, consumer = parts.database, parts.consumer
    assert consumer is not None
    await database.migrate(parts.migrations)
    records = [
        ConsumerRecord("settlement.events", n % 3, n, 0, 0, key, value, None, len(key), len(value), headers)
        for n, (key, value, headers) in enumerate(throughput.settlement_records(events))
    ]
    try:
        started = time.perf_counter()
        for start in range(0, events, batch):
            if await consumer.consume_batch(records[start : start + batch]):
                raise RuntimeError("the store asked for a retry")
        seconds = time.perf_counter() - started
        async with database.session() as session:
            applied = (await session.exec(select(func.count()).select_from(InboxEntry))).one()
        if applied != events:
            raise RuntimeError(f"applied {applied} of {events}")
        return events / seconds
    finally:
        await database.dispose()


if __name__ == "__main__":
    arguments = sys.argv[1:]
    events = int(arguments[0]) if len(arguments) > 0 else 3000
    batch = int(arguments[1]) if len(arguments) > 1 else 100
    url = arguments[2] if len(arguments) > 2 else ""
    service = arguments[3] if len(arguments) > 3 else "education"
    rate = asyncio.run(apply_only(events, batch, url, service))
    print(f"{service} applied {events} settlements in batches of {batch}: {rate:.0f} events/s")
