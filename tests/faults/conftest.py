"""Fixtures of the fault suite: each fault on each store, and a broker the suite may restart."""

import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from deploy.local.broker import KafkaEndpoint, LocalKafka
from deploy.local.identity import IdentityProvider
from deploy.local.postgres import PostgresServer


@dataclass
class Stores:
    """Where the services under test keep their data: SQLite files, or one PostgreSQL database each."""

    kind: str
    data_dir: Path
    identity: IdentityProvider  # whose tokens the services accept
    server: PostgresServer | None = None
    _urls: dict[str, str] = field(default_factory=dict)

    def urls(self, services: tuple[str, ...]) -> dict[str, str]:
        """DATABASE_URL per service; none for SQLite, whose files go in the data folder."""
        if self.server is not None:
            for service in services:
                if service not in self._urls:
                    self._urls[service] = self.server.create_database(f"f_{service}_{time.monotonic_ns()}")
        return dict(self._urls)

    def count(self, service: str, sql: str) -> int:
        """Reads the service's own store directly, e.g. while the service is down."""
        if self.server is None:
            with sqlite3.connect(self.data_dir / f"{service}.db") as connection:
                return int(connection.execute(sql).fetchone()[0])
        url = make_url(self._urls[service]).set(drivername="postgresql")
        with psycopg.connect(url.render_as_string(hide_password=False)) as connection:
            row = connection.execute(sql).fetchone()  # type: ignore[arg-type]
            assert row is not None
            return int(row[0])

    @contextmanager
    def unavailable(self, service: str) -> Iterator[None]:
        """The service's store refuses it: PostgreSQL drops and refuses its connections;
        a SQLite file is locked by another process for writing."""
        if self.server is None:
            connection = sqlite3.connect(self.data_dir / f"{service}.db", isolation_level=None)
            connection.execute("BEGIN EXCLUSIVE")
            try:
                yield
            finally:
                connection.execute("ROLLBACK")
                connection.close()
            return
        database = make_url(self._urls[service]).database
        with psycopg.connect(self.server.admin_url, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')  # type: ignore[arg-type]
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,)
            )
            try:
                yield
            finally:
                admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def stores(request: pytest.FixtureRequest, tmp_path: Path, identity: IdentityProvider) -> Stores:
    """Each fault test runs against the services on SQLite and on PostgreSQL."""
    server = request.getfixturevalue("postgres") if request.param == "postgresql" else None
    return Stores(request.param, tmp_path, identity, server)


@pytest.fixture
def restartable_kafka() -> Iterator[tuple[KafkaEndpoint, LocalKafka]]:
    """A broker of this test's own, which it may stop and start again (its data kept)."""
    # Even where Docker runs the other tests' broker: a container's port changes on restart.
    if shutil.which("java") is None:
        raise RuntimeError("the broker-restart test runs a local Kafka broker: install Java 17+ and Maven")
    broker = LocalKafka()
    with broker as endpoint:
        yield endpoint, broker
