"""Erasure as it runs: four service processes on SQLite or PostgreSQL and a real broker; one agency is down
when the request comes, completes it when it is back, and then no store and no topic, read as compaction
leaves it, holds the person's name or contact data."""

import asyncio
import time
from pathlib import Path
from uuid import uuid4

import pytest

from deploy.local.broker import KafkaEndpoint
from deploy.local.identity import IdentityProvider
from deploy.local.stack import SERVICES, run_stack
from shared.contracts.events import COMPACTED_TOPICS
from tests import scenario, traces
from tests.e2e.staff import staff_clients, wait_for
from tests.kafka_tools import read_topic, topics_under

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

# The person's name as typed and as search folds it, and their phone number.
TRACES = ("Nadia", "Rahimi", "NADIA", "nadia", "rahimi", "+47 411 22 333")


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_an_agency_down_during_an_erasure_completes_it_when_back_and_no_trace_is_left(
    store: str,
    kafka: KafkaEndpoint,
    identity: IdentityProvider,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    if store == "postgresql":
        postgres = request.getfixturevalue("postgres")
        urls = {name: postgres.create_database(f"er_{name}_{uuid4().hex[:6]}") for name in SERVICES}
    else:
        urls = {name: f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}" for name in SERVICES}
    prefix = f"er{uuid4().hex[:8]}."
    with (
        run_stack(
            kafka=kafka,
            data_dir=tmp_path,
            identity=identity,
            topic_prefix=prefix,
            database_urls=urls if store == "postgresql" else None,
        ) as stack,
        staff_clients(stack, identity) as api,
    ):
        office = api["settlement"]
        api["volunteering"].post("/organisations", json=scenario.red_cross("0301")).raise_for_status()
        office.post("/municipalities", json=scenario.OSLO).raise_for_status()
        office.put("/municipalities/0301/quotas/2026", json={"requested": 10}).raise_for_status()
        person = scenario.person("Nadia", "Rahimi", phone="+47 411 22 333")
        newcomer = office.post("/newcomers", json=person).raise_for_status().json()["id"]
        office.post(f"/newcomers/{newcomer}/settlement", json=scenario.settlement()).raise_for_status()

        def named(service: str, path: str) -> bool:
            answer = api[service].get(path)
            return answer.status_code == 200 and answer.json().get("given_name") == "Nadia"

        wait_for(lambda: named("education", f"/learners/{newcomer}"))
        wait_for(lambda: named("employment", f"/cases/{newcomer}"))
        wait_for(
            lambda: (
                api["volunteering"].get("/match-requests", params={"newcomer_id": newcomer}).json()["items"]
            )
        )
        for service in SERVICES:
            assert traces.in_store(urls[service], TRACES), f"{service} must hold something to erase"

        stack["employment"].stop()
        asked_at = time.monotonic()
        asked = office.post(f"/newcomers/{newcomer}/erasure", json={"legal_ground": "no_longer_needed"})
        assert asked.status_code == 202, asked.text

        def statuses() -> dict[str, str]:
            body = office.get(f"/newcomers/{newcomer}/erasure").raise_for_status().json()
            return {agency["agency"]: agency["status"] for agency in body["agencies"]}

        running = ("settlement", "education", "volunteering")

        def others_completed() -> dict[str, str] | None:
            now = statuses()
            return now if all(now[agency] == "completed" for agency in running) else None

        others_done = wait_for(others_completed)
        others_at = time.monotonic()
        assert others_done == {
            "settlement": "completed",
            "education": "completed",
            "employment": "pending",  # down: the request waits on settlement's topic
            "volunteering": "completed",
        }
        time.sleep(1)  # nothing moves while the agency is down
        assert statuses()["employment"] == "pending"
        assert traces.in_store(urls["employment"], TRACES), "employment has not erased while down"

        restarted_at = time.monotonic()
        stack["employment"].restart()
        status = wait_for(
            lambda: (body := office.get(f"/newcomers/{newcomer}/erasure").json())["complete"] and body
        )
        completed_at = time.monotonic()
        print(
            f"erasure on {store}: three agencies done {others_at - asked_at:.2f} s after the request; "
            f"the stopped one {completed_at - restarted_at:.1f} s after its restart began"
        )
        proofs = {agency["agency"]: agency for agency in status["agencies"]}
        assert all(proof["status"] == "completed" for proof in proofs.values())
        assert not any(any(proof["rows_remaining"].values()) for proof in proofs.values())
        assert proofs["employment"]["rows_remaining"]["contact"] == 0

        # The case stays, counted, without the person's name.
        assert api["employment"].get(f"/cases/{newcomer}").raise_for_status().json()["given_name"] is None
        for service in SERVICES:
            assert traces.in_store(urls[service], TRACES) == [], service

        topics = asyncio.run(topics_under(kafka.bootstrap_servers, prefix))
        assert f"{prefix}settlement.personal-details" in topics
        for topic in topics:
            records = asyncio.run(read_topic(kafka.bootstrap_servers, topic))
            if topic.removeprefix(prefix) in COMPACTED_TOPICS:
                assert traces.in_records(records, TRACES), f"{topic} held the details before compaction"
                records = traces.as_compacted(records)
            assert traces.in_records(records, TRACES) == [], topic
