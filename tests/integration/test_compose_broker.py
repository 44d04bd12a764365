"""deploy/compose's broker scripts, run here: start.sh configures and starts an authenticated broker,
acls.sh grants the agencies their rights, and the principals can do what READS says and no more.

The compose file runs them in the apache/kafka image; here the same Apache Kafka jars (from Maven
Central) stand in for the image's /opt/kafka/bin, one wrapper per tool the scripts call.
"""

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.errors import TopicAuthorizationFailedError

from deploy.local._process import free_port, spawn, stop
from deploy.local.broker import (
    ACL_SCRIPT,
    ADMIN,
    KafkaEndpoint,
    LocalKafka,
    _answers,
    _java,
    acl_script,
    run_coroutine,
)
from shared.contracts.agencies import Agency
from shared.contracts.events import COMPACTED_TOPICS, TOPICS
from shared.runtime.topics import ensure_topics
from tests.integration.test_broker_access import can_connect, records, refused, send

pytestmark = pytest.mark.kafka

COMPOSE_KAFKA = ACL_SCRIPT.parent
TOOLS = {  # the image's scripts the compose ones call → the class each runs
    "kafka-storage.sh": "kafka.tools.StorageTool",
    "kafka-server-start.sh": "kafka.Kafka",
    "kafka-acls.sh": "org.apache.kafka.tools.AclCommand",
}


def _bin(directory: Path) -> Path:
    libs = LocalKafka().fetch()
    java = _java()
    directory.mkdir()
    for script, main in TOOLS.items():
        wrapper = directory / script
        wrapper.write_text(f'#!/bin/sh\nexec "{java}" -Xmx512m -cp "{libs}/*" {main} "$@"\n')
        wrapper.chmod(0o755)
    return directory


@pytest.fixture(scope="module")
def compose_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaEndpoint]:
    root = tmp_path_factory.mktemp("compose-kafka")
    passwords = {str(name): secrets.token_urlsafe(12) for name in [ADMIN, *Agency]}
    port = free_port()
    env = {
        **os.environ,
        "KAFKA_BIN": str(_bin(root / "bin")),
        "KAFKA_DATA_DIR": str(root / "data"),
        "KAFKA_CONFIG": str(root / "server.properties"),
        "KAFKA_ADMIN_CONFIG": str(root / "admin.properties"),
        "KAFKA_PORT": str(port),
        "KAFKA_CONTROLLER_PORT": str(free_port()),
        "KAFKA_LISTEN_HOST": "127.0.0.1",
        "KAFKA_ADVERTISED_HOST": "127.0.0.1",
        "KAFKA_BOOTSTRAP": f"127.0.0.1:{port}",
        "KAFKA_ADMIN_PASSWORD": passwords[ADMIN],
        **{f"{agency.upper()}_KAFKA_PASSWORD": passwords[agency] for agency in Agency},
    }
    endpoint = KafkaEndpoint(f"127.0.0.1:{port}", "deploy/compose/kafka/start.sh", passwords)
    with (root / "kafka.log").open("wb") as log:
        broker = spawn(["sh", str(COMPOSE_KAFKA / "start.sh")], log=log, env=env)
    try:
        for _ in range(120):
            if run_coroutine(_answers(endpoint.bootstrap_servers, endpoint.client_options())):
                break
            assert broker.poll() is None, (root / "kafka.log").read_text()[-3000:]
            subprocess.run(["sleep", "0.5"], check=True)
        else:
            pytest.fail("the compose broker did not answer in 60 s")
        subprocess.run(["sh", str(ACL_SCRIPT)], env=env, check=True, capture_output=True, timeout=300)
        run_coroutine(
            ensure_topics(
                endpoint.bootstrap_servers,
                TOPICS,
                partitions=3,
                compacted=COMPACTED_TOPICS,
                **endpoint.client_options(),
            )
        )
        yield endpoint
    finally:
        stop(broker)


def test_the_acl_script_says_what_the_local_broker_grants() -> None:
    assert ACL_SCRIPT.read_text() == acl_script(), "READS changed: run `python -m deploy.local.broker`"


async def test_the_compose_broker_lets_each_agency_do_what_reads_says(compose_broker: KafkaEndpoint) -> None:
    kafka = compose_broker
    assert not await can_connect(kafka), "an anonymous client must not get in"
    wrong = {**kafka.client_options("volunteering"), "sasl_plain_password": "not-the-password"}
    assert not await can_connect(kafka, **wrong)

    record = (b"k", b"{}", {"ce_type": "test"})
    await send(kafka, "settlement", "settlement.personal-details", record)
    await send(kafka, "education", "education.events", record)
    assert len(await records(kafka, "education", "settlement.personal-details")) == 1
    assert len(await records(kafka, "settlement", "education.events")) == 1
    assert await refused(kafka, "volunteering", "settlement.personal-details")
    assert await refused(kafka, "employment", "settlement.volunteer-contacts")
    with pytest.raises(TopicAuthorizationFailedError):
        await send(kafka, "employment", "settlement.events", record)
