"""The four services as separate processes, as `make run` and the end-to-end tests use them."""

import os
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

import httpx

from shared.contracts.agencies import Agency
from shared.web.auth import issue_token

from ._process import free_port, spawn, stop, tail

SERVICES = tuple(agency.value for agency in Agency)


@dataclass
class RunningService:
    name: str
    url: str
    process: Popen[bytes]
    log_path: Path
    env: dict[str, str]

    def kill(self) -> None:
        """SIGKILL: no shutdown, no last commit, as when a machine dies."""
        self.process.kill()
        self.process.wait()

    def restart(self, ready_timeout_s: float = 60) -> None:
        if self.process.poll() is None:
            stop(self.process)
        with self.log_path.open("ab") as log:
            self.process = spawn([sys.executable, "-m", f"services.{self.name}"], log=log, env=self.env)
        _wait_until_ready(self, ready_timeout_s)


def tokens(secret: str) -> dict[str, str]:
    """A development token per agency."""
    return {
        agency.value: issue_token(secret, agency=agency, role="staff", subject=f"dev-{agency.value}")
        for agency in Agency
    }


def coordinator_token(secret: str) -> str:
    """A development token for the refugee office's coordinator (journeys, clocks, gaps, KPIs)."""
    return issue_token(secret, agency=Agency.SETTLEMENT, role="coordinator", subject="dev-coordinator")


@contextmanager
def run_stack(
    *,
    bootstrap_servers: str,
    data_dir: Path,
    auth_secret: str,
    topic_prefix: str = "",
    ports: Mapping[str, int] | None = None,
    database_urls: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    ready_timeout_s: float = 60,
    services: tuple[str, ...] = SERVICES,
) -> Iterator[dict[str, RunningService]]:
    """Starts the services (all four by default), waits until each is ready, and stops them on exit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    running: dict[str, RunningService] = {}
    with ExitStack() as cleanup:
        for name in services:
            port = (ports or {}).get(name) or free_port()
            env = {
                **os.environ,
                **(extra_env or {}),
                "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
                "SAMVIRKE_AUTH_SECRET": auth_secret,
                "SAMVIRKE_PORT": str(port),
                "SAMVIRKE_DATA_DIR": str(data_dir),
                "SAMVIRKE_KAFKA_TOPIC_PREFIX": topic_prefix,
            }
            if database_urls and name in database_urls:
                env["DATABASE_URL"] = database_urls[name]
            log_path = data_dir / f"{name}.log"
            with log_path.open("ab") as log:
                process = spawn([sys.executable, "-m", f"services.{name}"], log=log, env=env)
            running[name] = RunningService(name, f"http://127.0.0.1:{port}", process, log_path, env)
        cleanup.callback(_stop_all, running)
        for service in running.values():
            _wait_until_ready(service, ready_timeout_s)
        yield running


def _stop_all(running: dict[str, RunningService]) -> None:
    # The current process of each: a restarted service has a new one.
    for service in running.values():
        stop(service.process)


def _wait_until_ready(service: RunningService, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            break
        try:
            if httpx.get(f"{service.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{service.name} did not become ready:\n{tail(service.log_path)}")
