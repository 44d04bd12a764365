"""One agency service's moving parts, typed: store, broker, relay, consumer, topics, migrations.

`assemble` builds them from the settings and connects to nothing; the HTTP
app's lifespan (`shared.service.app`), the replay command and the tests all
take the same `Service`.
"""

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import NoOpTracer
from sqlalchemy import Table

from shared.config import ServiceSettings
from shared.contracts.events import COMPACTED_TOPICS, Event
from shared.runtime import audit, worklist
from shared.runtime.db import Database
from shared.runtime.inbox import EventConsumer, InboxEntry
from shared.runtime.messaging import (
    create_broker,
    dead_letter_sender,
    declare_outbox_publishers,
    outbox_sender,
    subscribe,
)
from shared.runtime.outbox import OutboxMessage
from shared.runtime.relay import OutboxRelay
from shared.runtime.routing import AnyHandler, Forget, Prepare
from shared.runtime.telemetry import exports_spans_from_env, tracer_provider_from_env
from shared.runtime.topics import ensure_topics

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)

log = logging.getLogger(__name__)

BROKER_STOP_S = 15.0  # at shutdown, how long the Kafka client may take to close
RELAY_STOP_S = 5.0  # at shutdown, how long the relay may take to finish its batch (Kafka may be down)

# What every store holds beside its own tables: the outbox, the inbox, the audit trail, the worklist.
RUNTIME_TABLES: list[Table] = [
    OutboxMessage.__table__,  # type: ignore[attr-defined]
    InboxEntry.__table__,  # type: ignore[attr-defined]
    *audit.TABLES,
    *worklist.TABLES,
]


@dataclass(frozen=True)
class Topics:
    """The topics a service writes (its own and its dead letters) and reads, prefixed as configured."""

    published: tuple[str, ...]
    consumed: tuple[str, ...]
    dead_letters: str
    compacted: frozenset[str]

    @property
    def all(self) -> list[str]:
        """Every topic the service needs, each once (a service may read a topic it writes)."""
        return list(dict.fromkeys([*self.published, self.dead_letters, *self.consumed]))


@dataclass
class Service(Generic[SettingsT]):
    settings: SettingsT
    database: Database
    broker: KafkaBroker
    relay: OutboxRelay
    consumer: EventConsumer | None
    topics: Topics
    migrations: Path
    tracer_provider: TracerProvider
    owns_tracer_provider: bool
    _relay_task: "asyncio.Task[None] | None" = field(default=None, repr=False)

    async def create_topics(self) -> None:
        """Creates the topics this service publishes to and reads, if missing (start-up and replay)."""
        await ensure_topics(
            self.settings.kafka_bootstrap_servers,
            self.topics.all,
            partitions=self.settings.kafka_topic_partitions,
            compacted=self.topics.compacted,
            **self.settings.kafka_client_options(),
        )

    async def start(self) -> None:
        """Topics, schema, broker (and its subscriber), then the relay."""
        await self.create_topics()
        await self.database.migrate(self.migrations)
        await self.broker.start()
        self._relay_task = asyncio.create_task(self.relay.run(), name=f"{self.settings.service_name}-relay")

    async def stop(self) -> None:
        """Finishes the batch in hand, then the relay's; closes broker, store and tracing."""
        if self.consumer is not None:
            await self.consumer.stop(self.settings.shutdown_grace_s)  # finished and committed
        # Cancelled inside a database call, a task leaves its connection to be reset by the
        # garbage collector, mid-shutdown; the relay is asked to finish its batch instead.
        self.relay.stop()
        if self._relay_task is not None:
            await asyncio.wait([self._relay_task], timeout=RELAY_STOP_S)
            self._relay_task.cancel()
            await asyncio.wait([self._relay_task], timeout=RELAY_STOP_S)
        # A step of shutdown that never returns must not keep the process from exiting: the test
        # suite once waited on one for minutes, somewhere in the end of a service's run.
        try:
            async with asyncio.timeout(BROKER_STOP_S):
                await self.broker.stop()
        except TimeoutError:
            log.error("the Kafka client did not close within %.0f s; shutting down without it", BROKER_STOP_S)
        await self.database.dispose()
        if self.owns_tracer_provider:
            self.tracer_provider.shutdown()


def assemble(
    settings: SettingsT,
    *,
    tables: Sequence[Table],
    migrations: Path,
    publishes: tuple[type[Event], ...],
    consumes: Mapping[type[Event], AnyHandler] | None = None,
    forgets: Mapping[type[Event], Forget] | None = None,
    prepare: Prepare | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Service[SettingsT]:
    """A service's parts, wired and not connected: the relay wakes on its outbox's commits."""
    provider = tracer_provider or tracer_provider_from_env(settings.service_name)
    # Spans no exporter would see cost ~30-60 µs an event for nothing: the relay and the
    # consumers make none then, and pass the trace context on as they received it.
    records_spans = tracer_provider is not None or exports_spans_from_env()
    database = Database.from_url(
        settings.effective_database_url,
        [*tables, *RUNTIME_TABLES],
        sqlite_busy_timeout_s=settings.sqlite_busy_timeout_s,
    )
    broker = create_broker(settings)
    publishers = declare_outbox_publishers(broker, settings, publishes)
    relay = OutboxRelay(
        database,
        outbox_sender(publishers, provider.get_tracer("samvirke.outbox") if records_spans else None),
        batch_size=settings.outbox_batch_size,
        poll_interval_s=settings.outbox_poll_interval_s,
    )
    database.outbox.after_commit(relay.notify)
    topics = _topics(settings, list(publishers), [*(consumes or {}), *(forgets or {})])
    consumer = None
    if consumes:
        consumer = EventConsumer(
            name=settings.consumer_group,
            database=database,
            handlers=consumes,
            forget=forgets,
            prepare=prepare,
            dead_letters=dead_letter_sender(broker, settings),
            tracer=provider.get_tracer("samvirke.inbox") if records_spans else NoOpTracer(),
        )
        subscribe(broker, settings, list(topics.consumed), consumer, provider)
    return Service(
        settings, database, broker, relay, consumer, topics, migrations, provider, tracer_provider is None
    )


def _topics(settings: ServiceSettings, published: list[str], handled: list[type[Event]]) -> Topics:
    return Topics(
        published=tuple(settings.topic_name(topic) for topic in published),
        consumed=tuple(sorted({settings.topic_name(event.topic) for event in handled})),
        dead_letters=settings.dead_letter_topic,
        compacted=frozenset(settings.topic_name(topic) for topic in COMPACTED_TOPICS),
    )
