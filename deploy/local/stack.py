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

from ._process import free_port, spawn, stop, tail
from .broker import KafkaEndpoint
from .identity import IdentityProvider

SERVICES = tuple(agency.value for agency in Agency)


@dataclass
class RunningService:
    name: str
    url: str
    process: Popen[bytes]
    log_path: Path
    env: dict[str, str]
    identity: IdentityProvider

    def token(self) -> str:
        """A staff member's token for this service, from the identity provider it trusts."""
        return self.identity.token(STAFF_ACCOUNTS[self.name])

    def kill(self) -> None:
        """SIGKILL: no shutdown, no last commit, as when a machine dies."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM: the service shuts down gracefully and stays down until `restart`."""
        stop(self.process)

    def restart(self, ready_timeout_s: float = 60) -> None:
        if self.process.poll() is None:
            stop(self.process)
        with self.log_path.open("ab") as log:
            self.process = spawn([sys.executable, "-m", f"services.{self.name}"], log=log, env=self.env)
        _wait_until_ready(self, ready_timeout_s)


# The realm's development staff account per agency: settlement, education and employment staff of
# all three municipalities of `make run`, and a volunteer organisation's organiser.
STAFF_ACCOUNTS = {
    "settlement": "region-officer",
    "education": "region-teacher",
    "employment": "region-caseworker",
    "volunteering": "redcross-organiser",
}
COORDINATOR_ACCOUNT = "region-coordinator"


def tokens(identity: IdentityProvider) -> dict[str, str]:
    """A staff member's token per agency, from the identity provider."""
    return {agency: identity.token(username) for agency, username in STAFF_ACCOUNTS.items()}


def coordinator_token(identity: IdentityProvider) -> str:
    """The refugee office's coordinator's token (journeys, clocks, gaps, KPIs)."""
    return identity.token(COORDINATOR_ACCOUNT)


@contextmanager
def run_stack(
    *,
    kafka: KafkaEndpoint,
    data_dir: Path,
    identity: IdentityProvider,
    topic_prefix: str = "",
    ports: Mapping[str, int] | None = None,
    database_urls: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    ready_timeout_s: float = 60,
    services: tuple[str, ...] = SERVICES,
) -> Iterator[dict[str, RunningService]]:
    """Starts the services (all four by default), waits until each is ready, and stops them on exit.

    Each connects to `kafka` as its agency's principal, granted its rights under `topic_prefix`.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    kafka.grant(topic_prefix)
    running: dict[str, RunningService] = {}
    with ExitStack() as cleanup:
        for name in services:
            port = (ports or {}).get(name) or free_port()
            env = {
                **os.environ,
                **(extra_env or {}),
                "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
                **kafka.env_for(name),
                "SAMVIRKE_OIDC_ISSUERS": identity.issuer,
                "SAMVIRKE_PORT": str(port),
                "SAMVIRKE_DATA_DIR": str(data_dir),
                "SAMVIRKE_KAFKA_TOPIC_PREFIX": topic_prefix,
            }
            if database_urls and name in database_urls:
                env["DATABASE_URL"] = database_urls[name]
            log_path = data_dir / f"{name}.log"
            with log_path.open("ab") as log:
                process = spawn([sys.executable, "-m", f"services.{name}"], log=log, env=env)
            running[name] = RunningService(name, f"http://127.0.0.1:{port}", process, log_path, env, identity)
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
