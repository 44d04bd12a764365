"""A real OpenID Connect provider for development and tests: Keycloak, with the Samvirke realm.

Chosen in this order, as the broker is:

1. A testcontainers Keycloak container, when a Docker engine answers.
2. Keycloak's own distribution (`org.keycloak:keycloak-quarkus-dist`) fetched
   from Maven Central by Maven into `.cache/keycloak/`, built once for an
   in-memory store and reused between runs. It needs Java 21 or newer:
   `SAMVIRKE_KEYCLOAK_JAVA_HOME`, else the newest JDK under /usr/lib/jvm.

Either way the realm in `deploy/identity/samvirke-realm.json` is imported at
start: one public client per service (its `aud`), and development staff
accounts whose attributes give the `agency`, `role`, `municipalities` and
`organisation` claims. Tokens for them come from the provider itself (the
password grant, for development and tests only); the services verify them
against the realm's published keys.
"""

import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ._process import free_port, repo_cache_dir, spawn, stop, tail

log = logging.getLogger(__name__)

KEYCLOAK_VERSION = os.environ.get("SAMVIRKE_KEYCLOAK_VERSION", "26.7.3")
CONTAINER_IMAGE = os.environ.get("SAMVIRKE_KEYCLOAK_IMAGE", f"quay.io/keycloak/keycloak:{KEYCLOAK_VERSION}")
REALM_FILE = Path(__file__).resolve().parents[1] / "identity" / "samvirke-realm.json"
REALM = "samvirke"
DEV_PASSWORD = "samvirke-dev"  # the realm file's development accounts only
ADMIN_USER = "admin"
# Keycloak's build options: fixed at build time, so the cached distribution starts `--optimized`.
_BUILD_OPTIONS = ("--db=dev-mem", "--health-enabled=true")


@dataclass
class IdentityProvider:
    """A running provider: its realm's issuer, and tokens for the realm's accounts."""

    base_url: str
    provider: str
    admin_password: str
    _tokens: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict, repr=False)

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/realms/{REALM}"

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/token"

    def token(self, username: str, *, client: str | None = None, password: str = DEV_PASSWORD) -> str:
        """An access token for `username`, for the service `client` (by default the user's agency)."""
        client = client or f"samvirke-{account(username)['agency']}"
        cached = self._tokens.get((username, client))
        if cached and cached[1] > time.monotonic() + 60:
            return cached[0]
        response = httpx.post(
            self.token_endpoint,
            data={"grant_type": "password", "client_id": client, "username": username, "password": password},
            timeout=30,
        )
        if response.status_code != 200:
            raise RuntimeError(f"no token for {username} from {client}: {response.text}")
        body = response.json()
        self._tokens[(username, client)] = (body["access_token"], time.monotonic() + body["expires_in"])
        return str(body["access_token"])

    def admin(self) -> httpx.Client:
        """A client for the provider's admin REST API, as its bootstrap administrator."""
        response = httpx.post(
            f"{self.base_url}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": ADMIN_USER,
                "password": self.admin_password,
            },
            timeout=30,
        )
        response.raise_for_status()
        return httpx.Client(
            base_url=f"{self.base_url}/admin/realms",
            headers={"Authorization": f"Bearer {response.json()['access_token']}"},
            timeout=30,
        )


def accounts() -> list[dict[str, Any]]:
    """The realm file's development accounts: username and the claims they carry."""
    realm = json.loads(REALM_FILE.read_text())
    return [
        {
            "username": user["username"],
            "agency": user["attributes"]["agency"][0],
            "role": user["attributes"]["role"][0],
            "municipalities": user["attributes"].get("municipalities", []),
            "organisation": (user["attributes"].get("organisation") or [None])[0],
        }
        for user in realm["users"]
    ]


def account(username: str) -> dict[str, Any]:
    for candidate in accounts():
        if candidate["username"] == username:
            return candidate
    raise KeyError(f"{username} is not an account of {REALM_FILE.name}")


@contextmanager
def provide_identity() -> Iterator[IdentityProvider]:
    """A running Keycloak with the Samvirke realm; stopped again on exit."""
    from deploy.local.broker import docker_available

    if docker_available():
        with _container() as provider:
            yield provider
        return
    with LocalKeycloak() as provider:
        yield provider


@contextmanager
def _container() -> Iterator[IdentityProvider]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    password = secrets.token_urlsafe(16)
    container = (
        DockerContainer(CONTAINER_IMAGE)
        .with_env("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN_USER)
        .with_env("KC_BOOTSTRAP_ADMIN_PASSWORD", password)
        .with_volume_mapping(str(REALM_FILE), f"/opt/keycloak/data/import/{REALM_FILE.name}", "ro")
        .with_exposed_ports(8080)
        .with_command("start-dev --import-realm --db=dev-mem")
    )
    with container:
        wait_for_logs(container, "Listening on:", timeout=180)
        url = f"http://{container.get_container_host_ip()}:{container.get_exposed_port(8080)}"
        provider = IdentityProvider(url, f"testcontainers ({CONTAINER_IMAGE})", password)
        _wait_for_realm(provider, deadline=time.monotonic() + 60, alive=lambda: True, logs=lambda: "")
        yield provider


class LocalKeycloak:
    """Keycloak's distribution from Maven Central, run on loopback with an in-memory store."""

    def __init__(self, *, version: str = KEYCLOAK_VERSION, cache_dir: Path | None = None) -> None:
        self.version = version
        self.root = (cache_dir or repo_cache_dir()) / "keycloak"
        self.home = self.root / f"keycloak-{version}"
        self._process: subprocess.Popen[bytes] | None = None
        self._run_dir: Path | None = None

    def __enter__(self) -> IdentityProvider:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def fetch(self, java_home: str) -> Path:
        """Fetches and builds the distribution once; later runs reuse it."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            built = self.home / ".samvirke-built"
            if built.exists() and built.read_text() == " ".join(_BUILD_OPTIONS):
                return self.home
            mvn = shutil.which("mvn")
            if mvn is None:
                raise RuntimeError("Maven (mvn) is needed to fetch Keycloak: install it, or a Docker engine")
            download = self.root / "download"
            shutil.rmtree(download, ignore_errors=True)
            log.info("fetching Keycloak %s from Maven Central", self.version)
            pom = self.root / "pom.xml"
            pom.write_text(_POM)
            subprocess.run(
                [
                    mvn,
                    "-q",
                    "-B",
                    "-f",
                    str(pom),
                    "dependency:copy",
                    f"-Dartifact=org.keycloak:keycloak-quarkus-dist:{self.version}:tar.gz",
                    f"-DoutputDirectory={download}",
                ],
                check=True,
            )
            shutil.rmtree(self.home, ignore_errors=True)
            with tarfile.open(download / f"keycloak-quarkus-dist-{self.version}.tar.gz") as archive:
                archive.extractall(self.root, filter="tar")
            shutil.rmtree(download, ignore_errors=True)
            log.info("building Keycloak for an in-memory store")
            subprocess.run(
                [str(self.home / "bin" / "kc.sh"), "build", *_BUILD_OPTIONS],
                env={**os.environ, "JAVA_HOME": java_home},
                check=True,
                capture_output=True,
            )
            built.write_text(" ".join(_BUILD_OPTIONS))
            return self.home

    def start(self, *, timeout_s: float = 180) -> IdentityProvider:
        java_home = keycloak_java_home()
        home = self.fetch(java_home)
        self._run_dir = Path(tempfile.mkdtemp(prefix="samvirke-keycloak-"))
        import_dir = home / "data" / "import"  # Keycloak reads realms from its home's data/import only
        with (self.root / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            import_dir.mkdir(parents=True, exist_ok=True)
            for stale in import_dir.glob("*.json"):
                stale.unlink()
            shutil.copy(REALM_FILE, import_dir / REALM_FILE.name)
        port, management_port = free_port(), free_port()
        password = secrets.token_urlsafe(16)
        log_path = self._run_dir / "keycloak.log"
        env = {
            **os.environ,
            "JAVA_HOME": java_home,
            "KC_BOOTSTRAP_ADMIN_USERNAME": ADMIN_USER,
            "KC_BOOTSTRAP_ADMIN_PASSWORD": password,
            "JAVA_OPTS_APPEND": f"-Djava.io.tmpdir={self._run_dir}",
        }
        with log_path.open("ab") as log_file:
            self._process = spawn(
                [
                    str(home / "bin" / "kc.sh"),
                    "start",
                    "--optimized",
                    "--import-realm",
                    "--http-enabled=true",
                    "--http-host=127.0.0.1",
                    f"--http-port={port}",
                    f"--http-management-port={management_port}",
                    "--hostname-strict=false",
                ],
                log=log_file,
                env=env,
            )
        provider = IdentityProvider(
            f"http://127.0.0.1:{port}", f"local Keycloak {self.version} (Maven Central)", password
        )
        process = self._process
        try:
            _wait_for_realm(
                provider,
                deadline=time.monotonic() + timeout_s,
                alive=lambda: process.poll() is None,
                logs=lambda: tail(log_path),
            )
        except BaseException:
            self.stop()
            raise
        return provider

    def stop(self) -> None:
        if self._process is not None:
            stop(self._process)
            self._process = None
        if self._run_dir is not None:
            shutil.rmtree(self._run_dir, ignore_errors=True)
            self._run_dir = None


def _wait_for_realm(provider: IdentityProvider, *, deadline: float, alive: Any, logs: Any) -> None:
    discovery = f"{provider.issuer}/.well-known/openid-configuration"
    while True:
        try:
            if httpx.get(discovery, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if not alive() or time.monotonic() > deadline:
            raise RuntimeError(f"Keycloak did not start:\n{logs()}")
        time.sleep(0.3)


def keycloak_java_home() -> str:
    """A JDK new enough for Keycloak (21+): the configured one, else the newest installed."""
    if configured := os.environ.get("SAMVIRKE_KEYCLOAK_JAVA_HOME"):
        return configured
    candidates = []
    for home in Path("/usr/lib/jvm").glob("*"):
        release = home / "release"
        if not (home / "bin" / "java").exists() or not release.exists():
            continue
        match = re.search(r'JAVA_VERSION="(\d+)', release.read_text())
        if match and int(match.group(1)) >= 21:
            candidates.append((int(match.group(1)), str(home)))
    java_home = os.environ.get("JAVA_HOME")
    if not candidates and java_home:
        return java_home
    if not candidates:
        raise RuntimeError("Keycloak needs Java 21 or newer: install one or set SAMVIRKE_KEYCLOAK_JAVA_HOME")
    return max(candidates)[1]


_POM = """\
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by deploy/local/identity.py: Keycloak's distribution from Maven Central. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.samvirke</groupId>
  <artifactId>local-keycloak</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
</project>
"""
