"""The platform as it runs: four service processes and a real broker, driven over HTTP."""

import os
import re
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


def test_make_run_walks_every_flow_and_a_cohort() -> None:
    # As on a fresh machine: its own broker, which authenticates the services, and its own provider.
    env = {name: value for name, value in os.environ.items() if name != "KAFKA_BOOTSTRAP_SERVERS"}
    result = subprocess.run(
        [sys.executable, "-m", "deploy.local.run", "--once", "--cohort", "8"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in SERVICES:
        assert f"{name} holds" in result.stdout
    out = result.stdout
    assert "education holds 5 record(s)" in out  # the five adults
    assert "volunteering holds 5 record(s)" in out  # the four who consented, and a language mentor asked for
    # Every flow, through the APIs:
    assert "Yonas Tesfaye: assessed A2 in speaking, mapped, in work practice at Lillehammer helsehus" in out
    assert "the language school moved him to the work-integrated track: Norsk på arbeidsplassen" in out
    assert "Ingrid Haugen is his language mentor" in out
    assert "matched with Ola Bakken at Lillehammer IL (football)" in out  # a child, with the sports club
    assert "the job centre's task: Unexplained absence in 5 of 5 sessions (100%)" in out
    assert "the Rahimi family moved from Oslo (Grorud) to Lillehammer (Nordre Ål)" in out
    yonas = out.split("  Yonas Tesfaye:\n", 1)[1].split("\n  Farid Rahimi:", 1)[0]
    for agency, what in (
        ("employment", "placement.started"),
        ("education", "track.changed"),
        ("employment", "language-mentor.requested"),
        ("volunteering", "language-mentor.matched"),
    ):
        assert f"{agency:<13} {what}" in yonas, yonas
    omid = out.split("  Omid Rahimi:\n", 1)[1].split("\n\n", 1)[0]
    assert "settlement    handover.completed" in omid, omid
    assert "all agencies updated" in result.stdout
    web = out.split("Staff web app:", 1)[1]
    for name in SERVICES:
        assert re.search(rf"{name} +http://127\.0\.0\.1:\d+/app/", web), web
    assert re.search(r"as coordinator: .*lillehammer-coordinator", web), web
    assert re.search(r"as staff: redcross-organiser", web), web
    if "testcontainers" not in result.stdout:
        assert "SASL/SCRAM, ACLs" in result.stdout  # the local broker: principals checked
    assert "Staff accounts of the development realm" in result.stdout  # and how to get a token
    assert "grant_type=password" in result.stdout
    assert "volunteering  2 open task(s)" in out  # Yonas and Khin still wait for a volunteer friend
    assert "employment    1 open task(s)" in out  # Khin's absence, to follow up
    assert (
        "the coordinator sees their open tasks (GET /coordination/tasks): employment 1, volunteering 2" in out
    )
    estimated = "(at an earlier year's rates; rates not checked against their source)"  # no 2026 rates yet
    assert f"Lillehammer  3 person(s), 770,000 NOK {estimated}" in out  # two adults, a child; year 1 stays
    assert "Billund      1 person(s), 3,127 DKK (at an earlier year's rates)" in out  # one month
    # The cohort: 8 by quota, and Billund's proportions of reunified relatives (72 and 86 to 86).
    assert "A Billund-sized year: 8 by quota, 7 adults and 8 children reunified" in out
    assert re.search(r"registered and settled .* 23/23 ", out)  # the progress, rate and time left
    assert "settled 23: 8 of a quota of 8 (100%), reunified 7 adults and 8 children" in out
