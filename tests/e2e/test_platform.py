"""The platform as it runs: four service processes and a real broker, driven over HTTP."""

import os
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from deploy.local.broker import KafkaEndpoint
from deploy.local.identity import IdentityProvider
from deploy.local.stack import SERVICES, run_stack, tokens
from tests import scenario
from tests.e2e.staff import staff_clients, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_settled_newcomer_appears_in_all_four_agencies(
    store: str,
    kafka: KafkaEndpoint,
    identity: IdentityProvider,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    database_urls = None
    if store == "postgresql":
        postgres = request.getfixturevalue("postgres")
        database_urls = {name: postgres.create_database(f"e2e_{name}_{uuid4().hex[:6]}") for name in SERVICES}
    with (
        run_stack(
            kafka=kafka,
            data_dir=tmp_path,
            identity=identity,
            topic_prefix=f"e2e{uuid4().hex[:8]}.",
            database_urls=database_urls,
        ) as stack,
        staff_clients(stack, identity) as api,
    ):
        agency_tokens = tokens(identity)
        api["volunteering"].post("/organisations", json=scenario.red_cross("3405")).raise_for_status()
        api["settlement"].post("/municipalities", json=scenario.LILLEHAMMER).raise_for_status()
        api["settlement"].put("/municipalities/3405/quotas/2026", json={"requested": 25}).raise_for_status()
        newcomer = (
            api["settlement"]
            .post(
                "/newcomers",
                json=scenario.person(
                    "Yonas", "Tesfaye", birth_date="1995-09-02", country_of_origin="ER", registered_in="3405"
                ),
            )
            .raise_for_status()
            .json()
        )
        api["settlement"].post(
            f"/newcomers/{newcomer['id']}/settlement",
            json={
                "municipality_code": "3405",
                "district": "Søre Ål",
                "settled_on": "2026-11-02",
            },
        ).raise_for_status()

        learner = wait_for(lambda: _ok(api["education"].get(f"/learners/{newcomer['id']}")))
        case = wait_for(lambda: _ok(api["employment"].get(f"/cases/{newcomer['id']}")))
        requests = wait_for(
            lambda: (
                api["volunteering"]
                .get("/match-requests", params={"newcomer_id": newcomer["id"]})
                .json()["items"]
            )
        )

        assert api["settlement"].get(f"/newcomers/{newcomer['id']}").json()["status"] == "settled"
        assert learner["municipality_code"] == case["municipality_code"] == "3405"
        assert [r["kind"] for r in requests] == ["friend"]
        # Another agency's token: meant for its own service (401), or for this one (403).
        foreign = agency_tokens["employment"]
        assert (
            api["education"].get("/learners", headers={"Authorization": f"Bearer {foreign}"}).status_code
            == 401
        )
        foreign = identity.token("region-caseworker", client="samvirke-education")
        assert (
            api["education"].get("/learners", headers={"Authorization": f"Bearer {foreign}"}).status_code
            == 403
        )
        logs = [s.log_path for s in stack.values()]
    # uvicorn re-raises SIGTERM after its graceful shutdown, so the log tells, not the exit code.
    for log in logs:
        assert "Application shutdown complete." in log.read_text(), log.read_text()[-2000:]


def _ok(response: httpx.Response) -> dict | None:
    return response.json() if response.status_code == 200 else None


def test_make_run_settles_newcomers_and_shows_every_agency() -> None:
    # As on a fresh machine: its own broker, which authenticates the services, and its own provider.
    env = {name: value for name, value in os.environ.items() if name != "KAFKA_BOOTSTRAP_SERVERS"}
    result = subprocess.run(
        [sys.executable, "-m", "deploy.local.run", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in SERVICES:
        assert f"{name} holds" in result.stdout
    assert "education holds 4 record(s)" in result.stdout  # the four adults
    assert "volunteering holds 4 record(s)" in result.stdout  # the four who consented
    assert "all agencies updated" in result.stdout
    if "testcontainers" not in result.stdout:
        assert "SASL/SCRAM, ACLs" in result.stdout  # the local broker: principals checked
    assert "Staff accounts of the development realm" in result.stdout  # and how to get a token
    assert "grant_type=password" in result.stdout
    assert "volunteering  4 open task(s)" in result.stdout  # the four match requests, to be matched
    assert "the coordinator sees their open tasks (GET /coordination/tasks): volunteering 4" in result.stdout
    estimated = "(at an earlier year's rates; rates not checked against their source)"  # no 2026 rates yet
    assert f"Lillehammer  3 person(s), 770,000 NOK {estimated}" in result.stdout  # two adults, a child
    assert "Billund      1 person(s), 3,127 DKK (at an earlier year's rates)" in result.stdout  # one month
