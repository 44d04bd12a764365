"""Real infrastructure for the suite: one Kafka broker, one PostgreSQL server, one identity provider."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from deploy.local.broker import KafkaEndpoint, provide_kafka
from deploy.local.identity import IdentityProvider, provide_identity
from deploy.local.postgres import PostgresServer, provide_postgres

T = TypeVar("T")


@pytest.fixture(scope="session")
def kafka() -> Iterator[KafkaEndpoint]:
    # Services create the (prefixed) topics they use; the broker starts empty.
    with provide_kafka(topics=()) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def identity() -> Iterator[IdentityProvider]:
    """Keycloak with the Samvirke realm: the tokens of integration and end-to-end tests."""
    with provide_identity() as provider:
        yield provider


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with provide_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test against each store this platform supports."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"t_{time.monotonic_ns()}")


async def eventually(check: Callable[[], Awaitable[T | None]], *, timeout_s: float = 30) -> T:
    """Polls `check` until it returns something truthy; fails with the last result."""
    deadline = time.monotonic() + timeout_s
    result: T | None = None
    while time.monotonic() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout_s}s; last result: {result!r}")
