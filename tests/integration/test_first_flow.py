"""The first flow through real Kafka: settlement → education, employment, volunteering."""

import asyncio
import json
from datetime import date

import httpx
import pytest
from cloudevents.core.bindings import kafka as cloudevents_kafka

from tests import scenario
from tests.conftest import eventually
from tests.factories import settled
from tests.integration.conftest import Platform
from tests.kafka_tools import committed, headers_of, produce, read_topic, record_of

pytestmark = pytest.mark.kafka

CONSUMERS = ("education", "employment", "volunteering")


async def settle(
    settlement: httpx.AsyncClient,
    *,
    birth_date: str = "1990-04-02",
    consent: bool = True,
    given_name: str = "Amira",
) -> str:
    """Registers and settles a newcomer in Oslo (which is set up with a quota on first use)."""
    created = await settlement.post("/municipalities", json=scenario.OSLO)
    assert created.status_code in (201, 409), created.text
    quota = await settlement.put("/municipalities/0301/quotas/2026", json={"requested": 200})
    assert quota.status_code == 200, quota.text
    registered = await settlement.post(
        "/newcomers", json=scenario.person(given_name, birth_date=birth_date, consent=consent)
    )
    assert registered.status_code == 201, registered.text
    newcomer_id: str = registered.json()["id"]
    settled = await settlement.post(f"/newcomers/{newcomer_id}/settlement", json=scenario.settlement())
    assert settled.status_code == 200, settled.text
    return newcomer_id


async def found(client: httpx.AsyncClient, path: str) -> dict | None:
    response = await client.get(path)
    return response.json() if response.status_code == 200 else None


async def match_requests(platform: Platform, newcomer_id: str) -> list[dict]:
    response = await platform.clients["volunteering"].get(
        "/match-requests", params={"newcomer_id": newcomer_id}
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_settled_adult_who_consented_reaches_all_three_agencies(platform: Platform) -> None:
    newcomer_id = await settle(platform.clients["settlement"])

    learner = await eventually(lambda: found(platform.clients["education"], f"/learners/{newcomer_id}"))
    case = await eventually(lambda: found(platform.clients["employment"], f"/cases/{newcomer_id}"))
    requests = await eventually(lambda: match_requests(platform, newcomer_id))

    assert learner["municipality_code"] == "0301"
    assert learner["status"] == "waitlisted"
    assert case["competence_mapping_due_on"] == "2027-02-02"
    assert [r["kind"] for r in requests] == ["friend"]


async def test_newcomer_without_consent_never_reaches_volunteering(platform: Platform) -> None:
    newcomer_id = await settle(platform.clients["settlement"], consent=False)

    await eventually(lambda: found(platform.clients["employment"], f"/cases/{newcomer_id}"))
    await eventually(lambda: consumed_everything(platform, "volunteering"))
    assert await match_requests(platform, newcomer_id) == []


async def consumed_everything(platform: Platform, service: str) -> bool:
    topic = platform.topic("settlement.events")
    records = await read_topic(platform.bootstrap_servers, topic)
    ends: dict[int, int] = {}
    for record in records:
        ends[record.partition] = max(ends.get(record.partition, 0), record.offset + 1)
    offsets = await committed(platform.bootstrap_servers, platform.topic(service))
    return all(offsets.get((topic, partition), 0) >= end for partition, end in ends.items())


async def test_published_events_are_cloudevents_any_client_can_read(platform: Platform) -> None:
    newcomer_id = await settle(platform.clients["settlement"])

    async def settled_records() -> list | None:
        records = await read_topic(platform.bootstrap_servers, platform.topic("settlement.events"))
        return [
            r
            for r in records
            if r.key == newcomer_id.encode() and headers_of(r)["ce_type"].endswith("settled.v1")
        ]

    [record] = await eventually(settled_records)
    event = cloudevents_kafka.from_binary_event(
        cloudevents_kafka.KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
    )
    attributes = event.get_attributes()
    assert attributes["specversion"] == "1.0"
    assert attributes["type"] == "samvirke.settlement.newcomer.settled.v1"
    assert attributes["source"] == "/samvirke/settlement"
    assert attributes["subject"] == newcomer_id
    assert attributes["datacontenttype"] == "application/json"
    data = event.get_data()
    assert (json.loads(data) if isinstance(data, (bytes, str)) else data)["newcomer_id"] == newcomer_id
    assert "traceparent" in headers_of(record)
    assert "Amira" not in record.value.decode(), "case events must not carry names"


async def test_redelivered_event_changes_nothing(platform: Platform) -> None:
    event = settled(district="Stovner", settled_on=date(2026, 11, 2))
    record = record_of(event)
    topic = platform.topic("settlement.events")
    await produce(platform.bootstrap_servers, topic, [record])
    newcomer_id = str(event.newcomer_id)
    first = await eventually(lambda: found(platform.clients["education"], f"/learners/{newcomer_id}"))
    await eventually(lambda: match_requests(platform, newcomer_id))

    # The same event again (same ce_source and ce_id), as Kafka redelivers after a crash.
    await produce(platform.bootstrap_servers, topic, [record, record])
    for service in CONSUMERS:
        await eventually(lambda service=service: consumed_everything(platform, service))

    assert await found(platform.clients["education"], f"/learners/{newcomer_id}") == first
    assert len(await match_requests(platform, newcomer_id)) == 1

    async def reactions(service: str) -> int:
        published = await read_topic(platform.bootstrap_servers, platform.topic(f"{service}.events"))
        return len([r for r in published if r.key == newcomer_id.encode()])

    for service in CONSUMERS:
        await eventually(lambda service=service: reactions(service))
    await asyncio.sleep(2)  # several relay polls: a reaction to a duplicate would be out by now
    # Once each: the learner's seat, the case, and the match request with its task on the worklist.
    assert [await reactions(service) for service in CONSUMERS] == [1, 1, 2]


async def test_one_trace_follows_the_settlement_into_every_agency(platform: Platform) -> None:
    newcomer_id = await settle(platform.clients["settlement"])
    await eventually(lambda: found(platform.clients["education"], f"/learners/{newcomer_id}"))
    await eventually(lambda: found(platform.clients["employment"], f"/cases/{newcomer_id}"))
    await eventually(lambda: match_requests(platform, newcomer_id))

    spans = platform.spans.get_finished_spans()
    [request] = [
        s
        for s in spans
        if s.kind.name == "SERVER" and s.attributes.get("http.route") == "/newcomers/{newcomer_id}/settlement"
    ]
    applied = {
        s.attributes["messaging.consumer.group.name"]
        for s in spans
        if s.name == "apply samvirke.settlement.newcomer.settled.v1"
        and s.attributes.get("samvirke.newcomer_id") == newcomer_id
        and s.context.trace_id == request.context.trace_id
    }
    # Settlement reads its own event back too, into the newcomer's journey.
    assert applied == {platform.topic(service) for service in (*CONSUMERS, "settlement")}
    # The relay's send to Kafka sits in the same trace, after the request.
    [sent] = [
        s
        for s in spans
        if s.name == f"send {platform.topic('settlement.events')}"
        and s.attributes.get("samvirke.newcomer_id") == newcomer_id
        and s.attributes.get("cloudevents.event_type") == "samvirke.settlement.newcomer.settled.v1"
    ]
    assert (sent.kind.name, sent.context.trace_id) == ("PRODUCER", request.context.trace_id)


async def test_unreadable_events_are_dead_lettered_and_nothing_else_is_lost(platform: Platform) -> None:
    topic = platform.topic("settlement.events")
    valid = settled(settled_on=date(2026, 11, 2), volunteer_contact_consent=False)
    key, value, headers = record_of(valid)
    bad = [
        (key, b"{not json", headers),
        (key, b'{"hello": "world"}', {}),  # no CloudEvents headers at all
        (key, value, {**headers, "ce_type": "samvirke.settlement.newcomer.teleported.v1"}),
        (key, json.dumps({"newcomer_id": str(valid.newcomer_id)}).encode(), headers),  # fields missing
    ]
    await produce(platform.bootstrap_servers, topic, [*bad, (key, value, headers)])

    await eventually(lambda: found(platform.clients["education"], f"/learners/{valid.newcomer_id}"))
    await eventually(lambda: found(platform.clients["employment"], f"/cases/{valid.newcomer_id}"))

    async def dead_letters() -> list | None:
        records = await read_topic(platform.bootstrap_servers, platform.topic("education.dlq"))
        return records if len(records) >= len(bad) else None

    records = await eventually(dead_letters)
    assert [r.value for r in records] == [value for _, value, _ in bad]
    reasons = [headers_of(r)["dlq_reason"] for r in records]
    assert "data is not JSON" in reasons[0]
    assert "missing header" in reasons[1]
    assert "unknown event type" in reasons[2]
    assert "does not match" in reasons[3]
    assert "municipality_code" in reasons[3]
    assert {headers_of(r)["dlq_origin_topic"] for r in records} == {topic}
