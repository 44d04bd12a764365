"""A real Kafka broker for development and tests, chosen in this order:

1. `KAFKA_BOOTSTRAP_SERVERS`, if set: a broker someone already runs.
2. A testcontainers `KafkaContainer` in KRaft mode, when a Docker engine answers.
3. A local single-node KRaft broker of real Apache Kafka, its jars fetched from
   Maven Central by Maven into `.cache/kafka/` and reused between runs.

Whichever it is, the agencies' topics are created explicitly. The local broker
authenticates every client (SASL/SCRAM-SHA-512; no listener takes anonymous
clients) and authorises with KRaft's StandardAuthorizer: each agency's
principal gets, per topic prefix (`KafkaEndpoint.grant`), exactly what
`shared.contracts.agencies.READS` entitles it to, and write on its own topics.
"""

import asyncio
import base64
import fcntl
import logging
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

from shared.config import kafka_client_options
from shared.contracts.agencies import READS, Agency
from shared.contracts.events import COMPACTED_TOPICS, TOPICS
from shared.runtime.topics import ensure_topics

from ._process import free_port, repo_cache_dir, spawn, stop, tail

log = logging.getLogger(__name__)

KAFKA_VERSION = os.environ.get("SAMVIRKE_KAFKA_VERSION", "4.1.1")
LOG4J_VERSION = "2.24.3"
CONTAINER_IMAGE = os.environ.get("SAMVIRKE_KAFKA_IMAGE", "confluentinc/cp-kafka:7.9.0")


ADMIN = "admin"  # the local broker's super user: provisioning, ACLs, and the tests' own clients
MECHANISM = "SCRAM-SHA-512"
_ADMINS: dict[str, dict[str, Any]] = {}  # bootstrap servers of the brokers started here → admin options


@dataclass(frozen=True)
class KafkaEndpoint:
    bootstrap_servers: str
    provider: str
    passwords: Mapping[str, str] = field(default_factory=dict)  # SASL principals; none: PLAINTEXT

    @property
    def authenticated(self) -> bool:
        return bool(self.passwords)

    def client_options(self, principal: str = ADMIN) -> dict[str, Any]:
        """aiokafka options to connect as `principal` (the admin unless named)."""
        if not self.authenticated:
            return {}
        return kafka_client_options("SASL_PLAINTEXT", MECHANISM, principal, self.passwords[principal])

    def settings_for(self, agency: str) -> dict[str, str]:
        """A service's Kafka settings (ServiceSettings field names) to connect as its agency's principal."""
        if not self.authenticated:
            return {}
        return {
            "kafka_security_protocol": "SASL_PLAINTEXT",
            "kafka_sasl_mechanism": MECHANISM,
            "kafka_username": agency,
            "kafka_password": self.passwords[agency],
        }

    def env_for(self, agency: str) -> dict[str, str]:
        """The same as environment variables, for a service run as a process."""
        return {f"SAMVIRKE_{name.upper()}": value for name, value in self.settings_for(agency).items()}

    def grant(self, prefix: str = "") -> None:
        """Gives each agency's principal its rights on the topics and groups under `prefix`."""
        if self.authenticated:
            grant_agencies(self, prefix)


def admin_options(bootstrap_servers: str) -> dict[str, Any]:
    """How to connect as admin to a broker this process started (none for another broker)."""
    return _ADMINS.get(bootstrap_servers, {})


@contextmanager
def provide_kafka(
    *, partitions: int = 3, topics: tuple[str, ...] = TOPICS, authenticated: bool = True
) -> Iterator[KafkaEndpoint]:
    """A running broker with `topics` created; stopped again on exit if started here.

    The local broker authenticates and authorises unless `authenticated` is False
    (the benchmarks measure the platform, not SCRAM's handshake).
    """
    if configured := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        endpoint = KafkaEndpoint(configured, "KAFKA_BOOTSTRAP_SERVERS")
        _provision(endpoint, topics, partitions)
        yield endpoint
        return
    if docker_available():
        with _container() as endpoint:
            _provision(endpoint, topics, partitions)
            yield endpoint
        return
    with LocalKafka(authenticated=authenticated) as endpoint:
        _provision(endpoint, topics, partitions)
        endpoint.grant("")
        yield endpoint


def _provision(endpoint: KafkaEndpoint, topics: tuple[str, ...], partitions: int) -> None:
    run_coroutine(
        ensure_topics(
            endpoint.bootstrap_servers,
            topics,
            partitions=partitions,
            compacted=COMPACTED_TOPICS,
            **endpoint.client_options(),
        )
    )


@dataclass(frozen=True)
class Grant:
    """One agency's right on the broker: `operations` on a topic (or group) name or name prefix."""

    agency: str
    resource: str  # "topic" | "group"
    name: str
    prefixed: bool
    operations: tuple[str, ...]  # Kafka's operation names: Read, Write, Describe, Create


def agency_grants(prefix: str = "") -> list[Grant]:
    """Each agency: everything on its own topics (`<prefix><agency>.`), read on what it is entitled to
    (create too, so whichever service starts first makes a topic), and its consumer group."""
    grants = []
    for agency in Agency:
        grants.append(
            Grant(agency, "topic", f"{prefix}{agency}.", True, ("Write", "Read", "Describe", "Create"))
        )
        grants += [
            Grant(agency, "topic", f"{prefix}{topic}", False, ("Read", "Describe", "Create"))
            for topic in READS[agency]
        ]
        grants.append(Grant(agency, "group", f"{prefix}{agency}", False, ("Read", "Describe")))
    return grants


def grant_agencies(endpoint: KafkaEndpoint, prefix: str) -> None:
    """Creates `agency_grants(prefix)` as ACLs, through the admin's connection."""
    from kafka.admin import (  # type: ignore[import-untyped]
        ACL,
        ACLOperation,
        ACLPermissionType,
        ACLResourcePatternType,
        KafkaAdminClient,
        ResourcePattern,
        ResourceType,
    )

    acls = []
    for grant in agency_grants(prefix):
        pattern = ResourcePattern(
            ResourceType.TOPIC if grant.resource == "topic" else ResourceType.GROUP,
            grant.name,
            ACLResourcePatternType.PREFIXED if grant.prefixed else ACLResourcePatternType.LITERAL,
        )
        principal = f"User:{grant.agency}"
        for operation in grant.operations:
            acls.append(
                ACL(principal, "*", ACLOperation[operation.upper()], ACLPermissionType.ALLOW, pattern)
            )
    admin = KafkaAdminClient(bootstrap_servers=endpoint.bootstrap_servers, **endpoint.client_options())
    try:
        result = admin.create_acls(acls)
        if result["failed"]:
            raise RuntimeError(f"the broker refused ACLs: {result['failed']}")
    finally:
        admin.close()


ACL_SCRIPT = Path(__file__).parents[1] / "compose" / "kafka" / "acls.sh"


def acl_script() -> str:
    """deploy/compose/kafka/acls.sh: `agency_grants()` as kafka-acls.sh commands, for any broker."""
    together: dict[tuple[str, str, bool, tuple[str, ...]], list[str]] = {}  # one command (a JVM) each
    for grant in agency_grants():
        together.setdefault((grant.agency, grant.resource, grant.prefixed, grant.operations), []).append(
            grant.name
        )
    lines = [_ACL_SCRIPT_HEAD]
    for (agency, resource, prefixed, operations), names in together.items():
        pattern = "prefixed" if prefixed else "literal"
        lines.append(
            f"acls --allow-principal User:{agency} --resource-pattern-type {pattern}"
            + "".join(f" \\\n  --{resource} {name}" for name in names)
            + "".join(f" --operation {operation}" for operation in operations)
        )
    return "\n".join(lines) + "\n"


_ACL_SCRIPT_HEAD = r"""#!/bin/sh
# Generated by `python -m deploy.local.broker` from shared/contracts/agencies.py (READS): do not edit.
# Gives each agency's principal its rights on the broker, as deploy/local/broker.py grants them to
# the local broker: everything on its own topics, read on those it is entitled to, its group.
# Run as the broker's admin once the broker is up: KAFKA_ADMIN_PASSWORD, KAFKA_BOOTSTRAP (kafka:9092).
set -eu
: "${KAFKA_ADMIN_PASSWORD:?the broker admin's password}"
config=$(mktemp)
trap 'rm -f "$config"' EXIT
cat > "$config" <<CONFIG
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \
  username="admin" password="$KAFKA_ADMIN_PASSWORD";
CONFIG
acls() {
  "${KAFKA_BIN:-/opt/kafka/bin}/kafka-acls.sh" --bootstrap-server "${KAFKA_BOOTSTRAP:-kafka:9092}" \
    --command-config "$config" --add --force "$@" > /dev/null
}"""


def run_coroutine(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Runs `coroutine` to completion in a thread of its own, safe inside a running loop."""
    result: list[Any] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


def docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # no client, no socket, no engine: all mean "no Docker"
        return False


@contextmanager
def _container() -> Iterator[KafkaEndpoint]:
    from testcontainers.community.kafka import KafkaContainer

    with KafkaContainer(CONTAINER_IMAGE).with_kraft() as container:
        yield KafkaEndpoint(container.get_bootstrap_server(), f"testcontainers ({CONTAINER_IMAGE})")


class LocalKafka:
    """A single-node KRaft broker of Apache Kafka run from Maven Central's jars."""

    def __init__(
        self,
        *,
        version: str = KAFKA_VERSION,
        cache_dir: Path | None = None,
        port: int | None = None,
        authenticated: bool = True,
    ) -> None:
        self.version = version
        # A password per principal, new for each broker: nothing to leak between runs.
        names = [ADMIN, *Agency] if authenticated else []
        self.passwords = {str(name): secrets.token_urlsafe(18) for name in names}
        self.home = (cache_dir or repo_cache_dir()) / "kafka" / version
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._data_dir: Path | None = None

    def __enter__(self) -> KafkaEndpoint:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def libs(self) -> Path:
        return self.home / "libs"

    def fetch(self) -> Path:
        """Fetches the broker's jars once; later runs reuse them."""
        self.home.mkdir(parents=True, exist_ok=True)
        with (self.home / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if (self.libs / f"kafka-tools-{self.version}.jar").exists():
                return self.libs
            mvn = shutil.which("mvn")
            if mvn is None:
                raise RuntimeError(
                    "Maven (mvn) is needed to fetch Kafka: install it, or set KAFKA_BOOTSTRAP_SERVERS"
                )
            pom = self.home / "pom.xml"
            pom.write_text(_POM.format(kafka=self.version, log4j=LOG4J_VERSION))
            staging = self.home / "libs.partial"
            shutil.rmtree(staging, ignore_errors=True)
            log.info("fetching Apache Kafka %s from Maven Central", self.version)
            subprocess.run(
                [
                    mvn,
                    "-q",
                    "-B",
                    "-f",
                    str(pom),
                    "dependency:copy-dependencies",
                    f"-DoutputDirectory={staging}",
                    "-DincludeScope=runtime",
                ],
                check=True,
            )
            shutil.rmtree(self.libs, ignore_errors=True)  # an older set, fetched before kafka-tools was in it
            staging.rename(self.libs)
            return self.libs

    def start(self, *, timeout_s: float = 120) -> KafkaEndpoint:
        """Starts the broker: a new one, or the same one again after `halt`, with its data."""
        java = _java()
        libs = self.fetch()
        classpath = f"{libs}/*"
        if self._data_dir is None:
            self._data_dir = Path(tempfile.mkdtemp(prefix="samvirke-kafka-"))
            self._format(java, classpath)
        config = self._data_dir / "server.properties"
        log_path = self._data_dir / "kafka.log"
        with log_path.open("ab") as log_file:
            self._process = spawn(
                [
                    java,
                    "-Xms256m",
                    "-Xmx1g",
                    "-XX:+UseG1GC",
                    "-Djava.awt.headless=true",
                    f"-Dlog4j2.configurationFile={self._data_dir / 'log4j2.properties'}",
                    "-cp",
                    classpath,
                    "kafka.Kafka",
                    str(config),
                ],
                log=log_file,
            )
        what = f"local Apache Kafka {self.version} (KRaft" + (
            ", SASL/SCRAM, ACLs)" if self.passwords else ")"
        )
        endpoint = KafkaEndpoint(f"127.0.0.1:{self.port}", what, self.passwords)
        _ADMINS[endpoint.bootstrap_servers] = endpoint.client_options()
        deadline = time.monotonic() + timeout_s
        while not run_coroutine(_answers(endpoint.bootstrap_servers, endpoint.client_options())):
            if self._process.poll() is not None or time.monotonic() > deadline:
                logs = tail(log_path)
                self.stop()
                raise RuntimeError(f"Kafka did not start:\n{logs}")
            time.sleep(0.5)
        return endpoint

    def _format(self, java: str, classpath: str) -> None:
        assert self._data_dir is not None
        config = self._data_dir / "server.properties"
        properties = _SERVER_PROPERTIES.format(
            port=self.port, controller_port=free_port(), log_dirs=self._data_dir / "logs"
        )
        scram: list[str] = []
        if self.passwords:
            properties = _secured(properties, self.passwords[ADMIN])
            for name, password in self.passwords.items():  # SCRAM credentials live in the metadata log
                scram += ["--add-scram", f"{MECHANISM}=[name={name},password={password}]"]
        config.write_text(properties)
        (self._data_dir / "log4j2.properties").write_text(_LOG4J2)
        subprocess.run(
            [
                java,
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                _cluster_id(),
                "-c",
                str(config),
                *scram,
            ],
            check=True,
            capture_output=True,
        )

    def halt(self) -> None:
        """Stops the broker process but keeps its data, so `start` brings the same broker back."""
        if self._process is not None:
            stop(self._process)
            self._process = None

    def stop(self) -> None:
        self.halt()
        if self._data_dir is not None:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            self._data_dir = None


def _cluster_id() -> str:
    # A base64url id that starts with "-" would be read by StorageTool as an option.
    while (cluster_id := base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))[0] == "-":
        pass
    return cluster_id


async def _answers(bootstrap_servers: str, options: dict[str, Any]) -> bool:
    host, port = bootstrap_servers.rsplit(":", 1)
    try:
        _, writer = await asyncio.open_connection(host, int(port))
        writer.close()
    except OSError:
        return False
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=3000, **options)
    try:
        await admin.start()
        await admin.list_topics()
        return True
    except Exception:  # not up yet
        return False
    finally:
        await admin.close()


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java:
        raise RuntimeError(
            "Java 17+ is needed for the local Kafka broker: install it, or set KAFKA_BOOTSTRAP_SERVERS"
        )
    version = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    major = version.split('"')[1].split(".")[0] if '"' in version else "0"
    if not major.isdigit() or int(major) < 17:
        raise RuntimeError(f"Kafka {KAFKA_VERSION} needs Java 17+; found: {version.splitlines()[0]}")
    return java


_SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={log_dirs}
auto.create.topics.enable=false
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=-1
# a development broker: the cleaner looks for compactable logs every second, not every 15
log.cleaner.backoff.ms=1000
"""


def _secured(properties: str, admin_password: str) -> str:
    """`properties` with every listener authenticated and the StandardAuthorizer deciding.

    Clients and the broker itself use SCRAM-SHA-512; a KRaft controller cannot
    verify SCRAM (its credentials are in the metadata it serves), so the
    controller listener uses PLAIN with the admin's password in its JAAS file.
    """
    plain = properties.replace("PLAINTEXT://", "SASL_PLAINTEXT://").replace(
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
    )
    plain = plain.replace("inter.broker.listener.name=PLAINTEXT", "inter.broker.listener.name=SASL_PLAINTEXT")
    return plain + _SECURITY.format(password=admin_password)


_SECURITY = """\
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=\
org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="{password}";
listener.name.controller.sasl.enabled.mechanisms=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.plain.sasl.jaas.config=\
org.apache.kafka.common.security.plain.PlainLoginModule required \
username="admin" password="{password}" user_admin="{password}";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
"""

_LOG4J2 = """\
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
logger.kafka.name = kafka.server.KafkaServer
logger.kafka.level = INFO
logger.raft.name = kafka.server.KafkaRaftServer
logger.raft.level = INFO
"""

_POM = """\
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by deploy/local/broker.py: Apache Kafka's broker from Maven Central. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.samvirke</groupId>
  <artifactId>local-kafka</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>{kafka}</version>
    </dependency>
    <!-- kafka-acls' and kafka-configs' classes, for trying deploy/compose's broker scripts here. -->
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>{kafka}</version>
    </dependency>
    <!-- The broker logs through SLF4J 1.7; its POM leaves the binding out. -->
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{log4j}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>{log4j}</version>
    </dependency>
  </dependencies>
</project>
"""


if __name__ == "__main__":  # rewrites the compose broker's ACL script after READS changed
    ACL_SCRIPT.write_text(acl_script())
    print(f"wrote {ACL_SCRIPT}")
