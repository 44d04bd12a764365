"""The four services in one process against the real broker, driven through their ASGI apps."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from deploy.local.broker import KafkaEndpoint
from deploy.local.identity import IdentityProvider
from deploy.local.stack import coordinator_token, tokens
from services.education.config import EducationSettings
from services.education.main import create_app as create_education
from services.employment.config import EmploymentSettings
from services.employment.main import create_app as create_employment
from services.settlement.config import SettlementSettings
from services.settlement.main import create_app as create_settlement
from services.volunteering.config import VolunteeringSettings
from services.volunteering.main import create_app as create_volunteering
from tests import scenario


@dataclass
class Platform:
    apps: dict[str, FastAPI]
    clients: dict[str, httpx.AsyncClient]
    topic_prefix: str
    bootstrap_servers: str
    identity: IdentityProvider
    spans: InMemorySpanExporter
    coordinator: httpx.AsyncClient  # settlement, with a coordinator's token

    def topic(self, base: str) -> str:
        return f"{self.topic_prefix}{base}"


@pytest.fixture
async def platform(
    kafka: KafkaEndpoint, identity: IdentityProvider, tmp_path: Path
) -> AsyncIterator[Platform]:
    prefix = f"t{uuid4().hex[:10]}."
    kafka.grant(prefix)
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    common = {
        "oidc_issuers": [identity.issuer],
        "kafka_bootstrap_servers": kafka.bootstrap_servers,
        "kafka_topic_prefix": prefix,
        "data_dir": str(tmp_path),
        "outbox_poll_interval_s": 0.5,
    }
    apps = {  # each agency connects to the broker as its own principal
        "settlement": create_settlement(
            SettlementSettings(**common, **kafka.settings_for("settlement")), tracer_provider=tracer_provider
        ),
        "education": create_education(
            EducationSettings(**common, **kafka.settings_for("education")), tracer_provider=tracer_provider
        ),
        "employment": create_employment(
            EmploymentSettings(**common, **kafka.settings_for("employment")), tracer_provider=tracer_provider
        ),
        "volunteering": create_volunteering(
            VolunteeringSettings(**common, **kafka.settings_for("volunteering")),
            tracer_provider=tracer_provider,
        ),
    }
    agency_tokens = tokens(identity)
    clients = {
        name: httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=f"http://{name}",
            headers={"Authorization": f"Bearer {agency_tokens[name]}"},
        )
        for name, app in apps.items()
    }
    coordinator = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=apps["settlement"]),
        base_url="http://settlement",
        headers={"Authorization": f"Bearer {coordinator_token(identity)}"},
    )
    async with running(apps):
        for code in ("0301", "3405", "530"):  # where the tests settle; a test may add its own chapter
            created = await clients["volunteering"].post("/organisations", json=scenario.red_cross(code))
            assert created.status_code == 201, created.text
        yield Platform(apps, clients, prefix, kafka.bootstrap_servers, identity, spans, coordinator)
    for client in [*clients.values(), coordinator]:
        await client.aclose()
    tracer_provider.shutdown()


@asynccontextmanager
async def running(apps: dict[str, FastAPI]) -> AsyncIterator[None]:
    """Runs the apps' lifespans in one task of their own.

    pytest-asyncio sets a fixture up and tears it down in different tasks; the
    brokers' task-scoped cleanup must start and end in the same one.
    """
    started, stopping = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        async with AsyncExitStack() as stack:
            for app in apps.values():
                await stack.enter_async_context(app.router.lifespan_context(app))
            started.set()
            await stopping.wait()

    task = asyncio.create_task(serve())
    started_or_failed = asyncio.create_task(started.wait())
    await asyncio.wait([task, started_or_failed], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        started_or_failed.cancel()
        task.result()  # raises why the apps did not start
    try:
        yield
    finally:
        stopping.set()
        await task
