"""The broker checks principals: who may connect, write and read, against the real authenticated broker.

Each agency's service connects as its own principal with the rights
`shared.contracts.agencies.READS` gives it (deploy/local/broker.py grants
them as ACLs). These clients try what a stranger, or another agency's
system, would.
"""

import asyncio
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError

from deploy.local.broker import KafkaEndpoint
from shared.contracts.agencies import Agency
from shared.contracts.events import education, employment, settlement
from tests import scenario
from tests.conftest import eventually
from tests.factories import settled
from tests.integration.conftest import Platform
from tests.kafka_tools import headers_of, read_topic, record_of

pytestmark = pytest.mark.kafka

QUICK = {"request_timeout_ms": 5000, "connections_max_idle_ms": 10000}


@pytest.fixture
def authenticated(kafka: KafkaEndpoint) -> KafkaEndpoint:
    if not kafka.authenticated:
        pytest.skip(f"{kafka.provider} is not the local authenticated broker")
    return kafka


async def can_connect(kafka: KafkaEndpoint, **options: Any) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers, request_timeout_ms=5000, **options)
    try:
        await asyncio.wait_for(admin.start(), 15)
        await asyncio.wait_for(admin.list_topics(), 15)
        return True
    except (KafkaError, TimeoutError):
        return False
    finally:
        await admin.close()


async def records(kafka: KafkaEndpoint, principal: str, topic: str) -> list[Any]:
    """What `principal` reads from `topic` (three partitions); raises if the broker refuses."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **QUICK,
        **kafka.client_options(principal),
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, partition) for partition in range(3)])
        batch = await consumer.getmany(timeout_ms=3000)
        return [record for held in batch.values() for record in held]
    finally:
        await consumer.stop()


async def send(
    kafka: KafkaEndpoint, principal: str, topic: str, record: tuple[bytes, bytes, dict[str, str]]
) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers, **QUICK, **kafka.client_options(principal)
    )
    await producer.start()
    try:
        key, value, headers = record
        await producer.send_and_wait(
            topic, value, key=key, headers=[(k, v.encode()) for k, v in headers.items()]
        )
    finally:
        await producer.stop()


async def test_no_client_without_valid_credentials_gets_in(authenticated: KafkaEndpoint) -> None:
    assert await can_connect(authenticated, **authenticated.client_options(Agency.EDUCATION))  # the control
    assert not await can_connect(authenticated), "an anonymous client bootstrapped"
    wrong = {**authenticated.client_options(Agency.EDUCATION), "sasl_plain_password": "not-the-password"}
    assert not await can_connect(authenticated, **wrong), "a wrong password was accepted"
    unknown = {**authenticated.client_options(Agency.EDUCATION), "sasl_plain_username": "mallory"}
    assert not await can_connect(authenticated, **unknown), "an unknown principal was accepted"


async def test_agencies_read_only_what_they_are_entitled_to(
    authenticated: KafkaEndpoint, platform: Platform
) -> None:
    office = platform.clients["settlement"]
    await office.post("/municipalities", json=scenario.OSLO)
    await office.put("/municipalities/0301/quotas/2026", json={"requested": 20})
    newcomer = (await office.post("/newcomers", json=scenario.person())).json()
    await office.post(f"/newcomers/{newcomer['id']}/settlement", json=scenario.settlement())
    personal = platform.topic(settlement.PERSONAL_DETAILS_TOPIC)
    await eventually(lambda: read_topic(platform.bootstrap_servers, personal))  # names now lie there

    # The school holds personal details by law; the volunteers only consented contacts.
    read = await eventually(lambda: records(authenticated, Agency.EDUCATION, personal))
    assert newcomer["id"].encode() in {record.key for record in read}
    for principal, topic in [
        (Agency.VOLUNTEERING, personal),
        (Agency.VOLUNTEERING, platform.topic(education.TOPIC)),
        (Agency.EMPLOYMENT, platform.topic(settlement.VOLUNTEER_CONTACTS_TOPIC)),
    ]:
        # The topic holds records (the admin reads them), and the principal gets none of them.
        assert await eventually(lambda: read_topic(platform.bootstrap_servers, topic)), topic  # noqa: B023
        assert await refused(authenticated, principal, topic), f"{principal} read {topic}"


async def refused(kafka: KafkaEndpoint, principal: str, topic: str) -> bool:
    """Whether the broker keeps `topic`'s records from `principal`: an authorisation error, or nothing."""
    try:
        return await records(kafka, principal, topic) == []
    except TopicAuthorizationFailedError:
        return True


async def test_no_agency_writes_onto_another_agencys_topic(
    authenticated: KafkaEndpoint, platform: Platform
) -> None:
    forged = record_of(settled(), source="/samvirke/settlement")
    for principal in (Agency.EDUCATION, Agency.EMPLOYMENT, Agency.VOLUNTEERING):
        for topic in (settlement.TOPIC, settlement.PERSONAL_DETAILS_TOPIC):
            with pytest.raises(TopicAuthorizationFailedError):
                await send(authenticated, principal, platform.topic(topic), forged)
    with pytest.raises(TopicAuthorizationFailedError):
        await send(authenticated, Agency.SETTLEMENT, platform.topic(employment.TOPIC), forged)


async def test_a_forged_event_on_an_agencys_own_topic_reaches_no_store(
    authenticated: KafkaEndpoint, platform: Platform
) -> None:
    """The school may write its own topic; a `newcomer settled` it forges there is dead-lettered."""
    phantom = settled()
    forged = record_of(phantom, source="/samvirke/settlement")  # claims the municipality sent it
    await send(authenticated, Agency.EDUCATION, platform.topic(education.TOPIC), forged)

    async def dead_letter() -> Any:
        records = await read_topic(platform.bootstrap_servers, platform.topic("employment.dlq"))
        return [r for r in records if r.key == str(phantom.newcomer_id).encode()]

    [dead] = await eventually(dead_letter)
    assert "does not belong on topic" in headers_of(dead)["dlq_reason"]
    for name, path in (("employment", "/cases"), ("volunteering", "/match-requests")):
        response = await platform.clients[name].get(path, params={"newcomer_id": str(phantom.newcomer_id)})
        assert response.status_code == 200, response.text
        assert response.json()["total"] == 0, f"{name} applied a forged event"
    assert (await platform.clients["employment"].get(f"/cases/{phantom.newcomer_id}")).status_code == 404
