"""Services are assembled without connecting to anything, and stay apart from each other."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
import pytest
from sqlalchemy.orm import Session

from shared.contracts.agencies import Agency
from shared.runtime.db import Database
from shared.service import service_of
from shared.web.auth import Role
from tests.apps import SERVICES, app_of
from tests.issuer import ISSUER

ROOT = Path(__file__).resolve().parents[2]
OPEN_PATHS = {"/healthz", "/readyz", "/asyncapi.json", "/asyncapi.yaml"}  # no token needed


def test_creating_an_app_connects_to_nothing() -> None:
    # Neither address answers: building the app must not try.
    settings = {
        "kafka_bootstrap_servers": "127.0.0.1:1",
        "database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none",
    }
    assert app_of("settlement", **settings).title == "Samvirke settlement"
    assert app_of("education", **settings).title == "Samvirke education"


def test_importing_every_module_registers_no_listener_on_every_session() -> None:
    # A process-wide listener hides where a transaction's work goes: each Database
    # registers the outbox for its own sessions when it is built, and only then.
    code = (
        "import pkgutil, importlib, shared, services\n"
        "for package in (shared, services):\n"
        "    for m in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        if '.migrations' not in m.name and not m.name.endswith('__main__'):\n"
        "            importlib.import_module(m.name)\n"
        "from sqlalchemy.orm import Session\n"
        "events = [n for n in dir(Session.dispatch) if not n.startswith('_')]\n"
        "print(sorted(n for n in events if len(getattr(Session().dispatch, n))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"global Session listeners: {result.stdout}"


def test_a_database_joins_its_outbox_to_its_own_sessions_only(tmp_path: Path) -> None:
    first = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", [])
    second = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", [])
    one, other = first.session_class(), second.session_class()
    assert len(one.dispatch.before_commit) == len(other.dispatch.before_commit) == 1
    assert len(Session().dispatch.before_commit) == 0


def test_each_service_exposes_the_same_layers() -> None:
    layers = {"__init__", "__main__", "config", "models", "store", "handlers", "api", "main"}
    for service in ("settlement", "education", "employment", "volunteering"):
        folder = ROOT / "services" / service
        # a layer is a module, or a package once it grew
        present = {p.stem for p in folder.glob("*.py")} | {
            p.parent.name for p in folder.glob("*/__init__.py")
        }
        assert layers <= present, f"{service} lacks {layers - present}"


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_no_request_waits_for_a_worker_thread(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # FastAPI runs a plain `def` endpoint or dependency in a thread pool: a hop to a thread
    # and back on every request, which measured about a quarter of a settle's CPU.
    app = app_of(service, kafka_bootstrap_servers="127.0.0.1:1", data_dir=str(tmp_path))
    await service_of(app).database.create_schema()
    in_threads: list[str] = []
    answered: set[int] = set()
    run_sync = anyio.to_thread.run_sync

    async def noted(function: Any, *args: Any, **kwargs: Any) -> Any:
        called = getattr(function, "func", function)  # FastAPI hands a partial over
        in_threads.append(getattr(called, "__qualname__", repr(called)))
        return await run_sync(function, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", noted)
    token = {"Authorization": f"Bearer {ISSUER.tokens()[service]}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=token) as client:
        for path, operations in app.openapi()["paths"].items():
            if path in ("/healthz", "/readyz"):  # these ask the broker, which is not there
                continue
            url = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
            for method in operations:
                # Whatever the answer (missing rows, an empty body), the route's
                # dependencies ran first: the token check, the store, settings.
                answered.add((await client.request(method, url, json={})).status_code)
                assert not in_threads, f"{method.upper()} {path} ran {in_threads} in a worker thread"
    await service_of(app).database.dispose()
    assert 401 not in answered, answered  # the token held
    assert answered & {200, 201}, answered  # and some routes ran through to the store


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_every_route_admits_only_the_roles_it_declares(service: str, tmp_path: Path) -> None:
    # Staff routes are not the coordinator's, and the coordinator's are not staff's: a route that
    # declared no role would answer these tokens with anything but "Wrong role".
    app = app_of(service, kafka_bootstrap_servers="127.0.0.1:1", data_dir=str(tmp_path))
    await service_of(app).database.create_schema()  # a refusal is audited too
    agency = Agency(service)
    as_role = {role: {"Authorization": f"Bearer {ISSUER.token(agency, role)}"} for role in Role}
    refused: dict[str, list[str]] = {"staff": [], "coordinator": []}
    checked = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        for path, operations in app.openapi()["paths"].items():
            if path in OPEN_PATHS:
                continue
            url = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
            for method in operations:
                checked += 1
                wrong = Role.STAFF if path.startswith("/coordination/") else Role.COORDINATOR
                response = await client.request(method, url, json={}, headers=as_role[wrong])
                if (response.status_code, response.json().get("title")) != (403, "Wrong role"):
                    refused[wrong].append(f"{method.upper()} {path}: {response.status_code}")
    await service_of(app).database.dispose()
    assert checked >= 10, checked  # every service has at least ten API operations, all tried
    assert refused == {"staff": [], "coordinator": []}, refused


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_the_auditor_reads_every_route_and_changes_nothing(service: str, tmp_path: Path) -> None:
    app = app_of(service, kafka_bootstrap_servers="127.0.0.1:1", data_dir=str(tmp_path))
    await service_of(app).database.create_schema()
    auditor = {"Authorization": f"Bearer {ISSUER.token(Agency(service), Role.AUDITOR)}"}
    reads = writes = 0
    wrong: list[str] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=auditor) as client:
        for path, operations in app.openapi()["paths"].items():
            if path in OPEN_PATHS:
                continue
            url = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
            for method in operations:
                answer = await client.request(method, url, json={})
                body = answer.json()
                title = body.get("title") if isinstance(body, dict) else None
                refused = (answer.status_code, title) == (403, "Wrong role")
                if method == "get":
                    reads += 1
                    if answer.status_code in (401, 403):
                        wrong.append(f"GET {path} refused: {answer.status_code}")
                else:
                    writes += 1
                    if not refused:
                        wrong.append(f"{method.upper()} {path} admitted: {answer.status_code}")
    await service_of(app).database.dispose()
    assert wrong == []
    assert reads >= 3, reads
    assert writes >= 3, writes


@pytest.mark.parametrize("agency", list(Agency))
def test_each_service_reads_exactly_what_the_broker_grants_its_agency(agency: Agency) -> None:
    """The broker's ACLs come from READS: a service that read more would be refused, and less is stale."""
    from shared.contracts.agencies import READS

    topics = service_of(app_of(str(agency), kafka_bootstrap_servers="127.0.0.1:1")).topics
    foreign = {topic for topic in topics.consumed if not topic.startswith(f"{agency}.")}
    assert foreign == set(READS[agency])
    assert all(topic.startswith(f"{agency}.") for topic in (*topics.published, topics.dead_letters))
