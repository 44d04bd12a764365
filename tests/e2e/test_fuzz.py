"""Each service's OpenAPI, fuzzed as an outside tester would: no server error, no failed check.

Schemathesis runs every check it has against the services as processes, on
SQLite and on PostgreSQL, with a fixed seed and a bounded number of examples
so the run is the same on every machine. Two checks are left out because the
domain makes them wrong, not the API:

- `positive_data_acceptance`: a request the schema allows may still break a
  rule of the domain that no schema can say (a course ending before it
  starts, a case closed before the newcomer was settled); it gets a 422
  naming the rule.
- `ensure_resource_availability`: a newcomer's integration plan is a part of
  the record that exists only once it is agreed (`PUT`), so it is 404 right
  after the newcomer is registered.
"""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from deploy.local.broker import KafkaEndpoint
from deploy.local.identity import IdentityProvider
from deploy.local.stack import SERVICES, RunningService, coordinator_token, run_stack
from tests import scenario

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

SEED = 20261202
EXAMPLES = 12  # per operation and phase: every operation tried, the suite kept to a few minutes
LEFT_OUT = "positive_data_acceptance,ensure_resource_availability"

# (service, role, which operations): settlement's coordination routes take the coordinator's token.
RUNS = [
    ("settlement", "staff", ["--exclude-path-regex", "^/coordination/"]),
    ("settlement", "coordinator", ["--include-path-regex", "^/coordination/"]),
    ("education", "staff", []),
    ("employment", "staff", []),
    ("volunteering", "staff", []),
]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def stack(
    request: pytest.FixtureRequest,
    kafka: KafkaEndpoint,
    identity: IdentityProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, RunningService]]:
    database_urls = None
    if request.param == "postgresql":
        postgres = request.getfixturevalue("postgres")
        database_urls = {
            name: postgres.create_database(f"fuzz_{name}_{uuid4().hex[:6]}") for name in SERVICES
        }
    with run_stack(
        kafka=kafka,
        data_dir=tmp_path_factory.mktemp(f"fuzz-{request.param}"),
        identity=identity,
        topic_prefix=f"fuzz{uuid4().hex[:8]}.",
        database_urls=database_urls,
    ) as running:
        _some_newcomers(running["settlement"])
        yield running


def _some_newcomers(settlement: RunningService) -> None:
    # Something to find: a municipality with a quota, and a newcomer settled in it.
    headers = {"Authorization": f"Bearer {settlement.token()}"}
    with httpx.Client(base_url=settlement.url, headers=headers, timeout=10) as api:
        api.post("/municipalities", json=scenario.LILLEHAMMER).raise_for_status()
        api.put("/municipalities/3405/quotas/2026", json={"requested": 25}).raise_for_status()
        newcomer = api.post("/newcomers", json=scenario.person("Yonas", "Tesfaye")).raise_for_status().json()
        settlement_body = {"municipality_code": "3405", "district": "Søre Ål", "settled_on": "2026-03-01"}
        api.post(f"/newcomers/{newcomer['id']}/settlement", json=settlement_body).raise_for_status()


@pytest.mark.parametrize(("service", "role", "operations"), RUNS, ids=[f"{s}-{r}" for s, r, _ in RUNS])
def test_fuzzing_the_openapi_finds_no_server_error_and_no_failed_check(
    stack: dict[str, RunningService], service: str, role: str, operations: list[str], tmp_path: Path
) -> None:
    running = stack[service]
    token = coordinator_token(running.identity) if role == "coordinator" else running.token()
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("st")),
            "run",
            f"{stack[service].url}/openapi.json",
            "--checks",
            "all",
            "--exclude-checks",
            LEFT_OUT,
            "--header",
            f"Authorization: Bearer {token}",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            str(SEED),
            "--generation-deterministic",  # and no example database: the same cases on every machine
            "--workers",
            "1",
            "--no-color",
            *operations,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    summary = result.stdout[result.stdout.find("SUMMARY") :]
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "API Operations:" in summary, summary  # it ran, and tested operations
    assert "Tested: 0" not in summary, summary
    log = stack[service].log_path.read_text()
    assert "unhandled error" not in log, log[log.find("unhandled error") :][:3000]
