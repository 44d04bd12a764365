"""Assembles one agency service: store, broker, outbox relay, consumers, HTTP API.

Each service's `create_app(settings)` calls `build_service` with its own
tables, router, published events and event handlers. Nothing connects until
the app's lifespan starts.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Depends, FastAPI, Request
from faststream.specification import AsyncAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import NoOpTracer
from sqlalchemy import Table
from sqlmodel.ext.asyncio.session import AsyncSession

from .auth import Agency, Authenticator, current_principal
from .config import ServiceSettings
from .db import Database
from .events import COMPACTED_TOPICS, Event
from .http import install_problem_handlers, operations_router
from .inbox import AnyHandler, EventConsumer, Forget, InboxEntry, Prepare
from .messaging import create_broker, dead_letter_sender, declare_outbox_publishers, outbox_sender, subscribe
from .outbox import OutboxMessage, OutboxRelay
from .telemetry import exports_spans_from_env, tracer_provider_from_env
from .topics import ensure_topics

StoreT = TypeVar("StoreT")

RELAY_STOP_S = 5.0  # at shutdown, how long the relay may take to finish its batch (Kafka may be down)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # reads: they change nothing


def build_service(
    settings: ServiceSettings,
    *,
    agency: Agency,
    title: str,
    description: str,
    tables: Sequence[Table],
    migrations: Path,
    api: Any,
    publishes: tuple[type[Event], ...],
    consumes: Mapping[type[Event], AnyHandler] | None = None,
    forgets: Mapping[type[Event], Forget] | None = None,
    prepare: Prepare | None = None,
    background: Sequence[Callable[[Database], Coroutine[Any, Any, None]]] = (),
    tracer_provider: TracerProvider | None = None,
) -> FastAPI:
    owns_tracer_provider = tracer_provider is None
    tracer_provider = tracer_provider or tracer_provider_from_env(settings.service_name)
    # Spans no exporter would see cost ~30-60 µs an event for nothing: the relay and the
    # consumers make none then, and pass the trace context on as they received it.
    records_spans = not owns_tracer_provider or exports_spans_from_env()
    database = Database.from_url(
        settings.effective_database_url,
        [*tables, OutboxMessage.__table__, InboxEntry.__table__],  # type: ignore[attr-defined]
        sqlite_busy_timeout_s=settings.sqlite_busy_timeout_s,
    )
    broker = create_broker(settings)
    publishers = declare_outbox_publishers(broker, settings, publishes)
    relay = OutboxRelay(
        database,
        outbox_sender(publishers, tracer_provider.get_tracer("samvirke.outbox") if records_spans else None),
        batch_size=settings.outbox_batch_size,
        poll_interval_s=settings.outbox_poll_interval_s,
    )
    database.after_commit(relay.on_commit)

    consumed_topics = sorted(
        {settings.topic_name(event.topic) for event in {**(consumes or {}), **(forgets or {})}}
    )
    consumer = None
    if consumes:
        consumer = EventConsumer(
            name=settings.consumer_group,
            database=database,
            handlers=consumes,
            forget=forgets,
            prepare=prepare,
            dead_letters=dead_letter_sender(broker, settings),
            tracer=tracer_provider.get_tracer("samvirke.inbox") if records_spans else NoOpTracer(),
        )
        subscribe(broker, settings, consumed_topics, consumer, tracer_provider)

    asyncapi = AsyncAPI(broker, title=f"{title} events", version="1.0.0", description=description)

    async def create_topics() -> None:
        """Creates the topics this service publishes to and reads, if missing (start-up and replay)."""
        published = [settings.topic_name(topic) for topic in publishers]
        await ensure_topics(
            settings.kafka_bootstrap_servers,
            [*published, settings.dead_letter_topic, *consumed_topics],
            partitions=settings.kafka_topic_partitions,
            compacted={settings.topic_name(topic) for topic in COMPACTED_TOPICS},
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await create_topics()
        await database.migrate(migrations)
        await broker.start()
        relay_task = asyncio.create_task(relay.run(), name=f"{settings.service_name}-outbox-relay")
        tasks = [asyncio.create_task(run(database)) for run in background]
        try:
            yield
        finally:
            if consumer is not None:
                await consumer.stop(settings.shutdown_grace_s)  # the batch in hand is finished and committed
            # Cancelled inside a database call, a task leaves its connection to be reset by the
            # garbage collector, mid-shutdown; the relay is asked to finish its batch instead.
            relay.stop()
            await asyncio.wait([relay_task], timeout=RELAY_STOP_S)
            for task in [*tasks, relay_task]:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await broker.stop()
            await database.dispose()
            if owns_tracer_provider:
                tracer_provider.shutdown()

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.database = database
    app.state.broker = broker
    app.state.relay = relay
    app.state.consumer = consumer
    app.state.consumed_topics = consumed_topics
    app.state.migrations = migrations
    app.state.create_topics = create_topics
    app.state.authenticator = Authenticator(settings.auth_secret.get_secret_value(), agency)
    install_problem_handlers(app)
    app.include_router(
        operations_router(
            {"database": database.ping, "broker": lambda: _ping(broker)},
            lambda: asyncapi.to_specification(),
        )
    )
    app.include_router(api, dependencies=[Depends(current_principal)])
    # A span per request; the two more the ASGI layer would make, for reading the body and for
    # sending the response, say nothing the request's span does not.
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider,
        excluded_urls="healthz,readyz",
        exclude_spans=["receive", "send"],
    )
    return app


async def _ping(broker: Any) -> None:
    if not await broker.ping(timeout=2.0):
        raise ConnectionError("Kafka broker does not answer")


def store_dependency(make_store: Callable[[AsyncSession], StoreT]) -> Any:
    """A dependency giving a route a store in one transaction, committed before the response."""

    async def transactional_store(request: Request) -> AsyncIterator[StoreT]:
        database: Database = request.app.state.database
        async with database.transaction(read_only=request.method in SAFE_METHODS) as session:
            yield make_store(session)

    return Depends(transactional_store, scope="function")
