"""A real PostgreSQL server for tests: `SAMVIRKE_POSTGRES_URL` if set, else a throwaway cluster.

The throwaway cluster runs Debian's PostgreSQL binaries (installed by
`deploy/local/ensure-postgres.sh` where missing) on a free loopback port,
with durability switched off because its data dies with the test run.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from ._process import free_port, spawn, stop, tail

SERVICE_ACCOUNT = "postgres"  # PostgreSQL refuses to run as root


@dataclass(frozen=True)
class PostgresServer:
    """A server on which each caller gets fresh databases."""

    admin_url: str  # a libpq URL of a superuser, to the `postgres` database

    def create_database(self, name: str) -> str:
        """Creates database `name` afresh; returns its SQLAlchemy async URL."""
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        url = make_url(self.admin_url).set(drivername="postgresql+psycopg", database=name)
        return url.render_as_string(hide_password=False)


@contextmanager
def provide_postgres() -> Iterator[PostgresServer]:
    if configured := os.environ.get("SAMVIRKE_POSTGRES_URL"):
        yield PostgresServer(configured)
        return
    bindir = find_bindir()
    data_dir = Path(tempfile.mkdtemp(prefix="samvirke-pg-"))
    run_as = _service_account()
    if run_as is not None:
        os.chown(data_dir, *run_as)
    port = free_port()
    cluster = data_dir / "cluster"
    log_path = data_dir / "postgres.log"
    process = None
    try:
        subprocess.run(
            [
                str(bindir / "initdb"),
                "-D",
                str(cluster),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
            check=True,
            capture_output=True,
            preexec_fn=_as_user(run_as),
        )
        with log_path.open("ab") as log:
            if run_as is not None:
                os.chown(log_path, *run_as)
            process = spawn(
                [
                    str(bindir / "postgres"),
                    "-D",
                    str(cluster),
                    "-p",
                    str(port),
                    "-k",
                    str(data_dir),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200",
                ],
                log=log,
                run_as=run_as,
            )
        admin_url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        _wait_until_ready(admin_url, process, log_path)
        yield PostgresServer(admin_url)
    finally:
        if process is not None:
            stop(process)
        shutil.rmtree(data_dir, ignore_errors=True)


def find_bindir() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "postgres").exists():
            return Path(candidate)
    if initdb := shutil.which("initdb"):
        return Path(initdb).resolve().parent
    raise RuntimeError(
        "PostgreSQL server binaries not found: run deploy/local/ensure-postgres.sh (apt-get install "
        "postgresql), or set SAMVIRKE_POSTGRES_URL to a server you run"
    )


def _service_account() -> tuple[int, int] | None:
    if os.geteuid() != 0:
        return None
    try:
        account = pwd.getpwnam(SERVICE_ACCOUNT)
    except KeyError as error:
        raise RuntimeError(
            "running as root needs the 'postgres' user (apt-get install postgresql)"
        ) from error
    return account.pw_uid, account.pw_gid


def _as_user(run_as: tuple[int, int] | None):  # type: ignore[no-untyped-def]
    if run_as is None:
        return None

    def switch() -> None:
        os.setgid(run_as[1])
        os.setuid(run_as[0])

    return switch


def _wait_until_ready(
    url: str, process: subprocess.Popen[bytes], log_path: Path, timeout_s: float = 30
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start:\n{tail(log_path)}") from None
            time.sleep(0.2)
