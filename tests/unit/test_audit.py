"""The audit trail: every route is classified, each request to a personal route leaves an entry naming
who, what, which newcomers, and the outcome; the chain shows a tampered entry; the auditor reads it.

The settlement service on SQLite and PostgreSQL, tokens from the in-memory issuer.
"""

import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from shared.runtime.audit import AuditLog, Verdict, seal_all
from shared.service import service_of
from shared.service.serve import log_config
from tests import scenario
from tests.apps import SERVICES, app_of
from tests.issuer import ISSUER


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_route_says_whether_it_is_about_newcomers(service: str) -> None:
    app = app_of(service, kafka_bootstrap_servers="127.0.0.1:1")
    said = {
        f"{method.upper()} {path}": operation.get("x-audit")
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
    }
    unclassified = [route for route, kind in said.items() if kind not in ("personal", "not personal")]
    assert unclassified == [], "add openapi_extra=PERSONAL or NOT_PERSONAL (shared.web.audit)"
    personal = [route for route, kind in said.items() if kind == "personal"]
    assert "GET /audit" in personal
    assert len(personal) >= 9, personal  # each service's routes about newcomers, audit included
    assert all(
        operation.get("summary") for ops in app.openapi()["paths"].values() for operation in ops.values()
    )


@pytest.fixture
async def settlement(database_url: str) -> AsyncIterator[FastAPI]:
    app = app_of("settlement", kafka_bootstrap_servers="127.0.0.1:1", database_url=database_url)
    await service_of(app).database.create_schema()
    yield app
    await service_of(app).database.dispose()


def client(app: FastAPI, role: str = "staff", subject: str = "officer-1", **claims: Any) -> httpx.AsyncClient:
    token = ISSUER.token("settlement", role, subject=subject, **claims)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://settlement",
        headers={"Authorization": f"Bearer {token}"},
    )


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def entries(app: FastAPI) -> list[dict[str, Any]]:
    async with service_of(app).database.transaction(read_only=True) as session:
        found, _ = await AuditLog(session).entries(
            newcomer_id=None, subject=None, since=None, until=None, limit=500, offset=0
        )
    return [
        {**entry.model_dump(), "newcomers": {str(n) for n in newcomers}}
        for entry, newcomers in reversed(found)
    ]


async def verify(app: FastAPI) -> Verdict:
    async with service_of(app).database.transaction(read_only=True) as session:
        return await AuditLog(session).verify()


async def test_each_request_about_newcomers_leaves_an_entry_with_who_what_whom_and_outcome(
    settlement: FastAPI,
) -> None:
    async with (
        client(settlement) as office,
        client(settlement, subject="officer-2", municipalities=["530"]) as far,
    ):
        ok(await office.post("/municipalities", json=scenario.OSLO), 201)  # not personal: no entry
        ok(await office.put("/municipalities/0301/quotas/2026", json={"requested": 20}))
        amira = ok(await office.post("/newcomers", json=scenario.person()), 201)["id"]
        omar = ok(await office.post("/newcomers", json=scenario.person("Omar")), 201)["id"]
        ok(await office.get(f"/newcomers/{amira}"))
        listed = ok(await office.get("/newcomers", params={"limit": 10}))
        ok(await office.post(f"/newcomers/{amira}/settlement", json=scenario.settlement()))
        assert (await far.get(f"/newcomers/{omar}")).status_code == 404  # another municipality's
        bad = await office.post(f"/newcomers/{amira}/settlement", json=scenario.settlement())
        assert bad.status_code == 409  # settled already: nothing changes, the attempt is audited
        assert (await office.get("/municipalities")).status_code == 200
    assert (
        await httpx.AsyncClient(transport=httpx.ASGITransport(app=settlement), base_url="http://s").get(
            f"/newcomers/{amira}"
        )
    ).status_code == 401  # no token: no one to name, nothing seen

    trail = [
        (e["method"], e["route"], e["outcome"], e["newcomers"], e["subject"])
        for e in await entries(settlement)
    ]
    assert trail == [
        ("POST", "/newcomers", 201, {amira}, "officer-1"),
        ("POST", "/newcomers", 201, {omar}, "officer-1"),
        ("GET", "/newcomers/{newcomer_id}", 200, {amira}, "officer-1"),
        ("GET", "/newcomers", 200, {item["id"] for item in listed["items"]}, "officer-1"),
        ("POST", "/newcomers/{newcomer_id}/settlement", 200, {amira}, "officer-1"),
        ("GET", "/newcomers/{newcomer_id}", 404, {omar}, "officer-2"),
        ("POST", "/newcomers/{newcomer_id}/settlement", 409, {amira}, "officer-1"),
    ]
    assert {amira, omar} <= trail[3][3], "a list names each newcomer it returned"
    first = (await entries(settlement))[0]
    assert first["agency"] == "settlement"
    assert first["role"] == "staff"
    assert first["scope"] == "0301 3405 530"
    assert first["purpose"] == "Register a newcomer"
    assert abs(first["at"].replace(tzinfo=first["at"].tzinfo or UTC) - datetime.now(UTC)) < timedelta(
        minutes=1
    )


async def test_the_search_terms_never_reach_the_trail(settlement: FastAPI) -> None:
    async with client(settlement) as office:
        ok(await office.post("/newcomers", json=scenario.person("Zainab", "Rahimi")), 201)
        ok(await office.get("/newcomers", params={"name": "Zainab Rahimi"}))
    async with service_of(settlement).database.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT * FROM audit_entry"))).all()
    assert len(rows) == 2
    assert not any("Zainab" in str(value) or "Rahimi" in str(value) for row in rows for value in row)


async def test_a_change_and_its_entry_commit_together(settlement: FastAPI) -> None:
    """The entry of a change is written in the change's transaction: one without the other never commits."""
    async with client(settlement) as office:
        amira = ok(await office.post("/newcomers", json=scenario.person()), 201)["id"]
    database = service_of(settlement).database
    async with database.engine.connect() as connection:
        [(count,)] = (await connection.execute(text("SELECT count(*) FROM audit_entry"))).all()
        [(subjects,)] = (await connection.execute(text("SELECT count(*) FROM audit_subject"))).all()
    assert (count, subjects) == (1, 1)
    assert UUID(amira)


async def test_reads_may_go_ahead_of_their_entries_which_are_written_after_and_kept_through_an_outage(
    settlement: FastAPI,
) -> None:
    async with client(settlement) as office:
        amira = ok(await office.post("/newcomers", json=scenario.person()), 201)["id"]
        writer = settlement.state.audit_writer
        writer.wait, writer.retry_s = False, 0.05  # audit_reads_before_response = false
        database = service_of(settlement).database
        real, down = writer.database, True

        def store() -> Any:
            if down:
                raise ConnectionError("the store is down")
            return real()

        writer.database = store
        for _ in range(3):  # answered while no entry can be written
            ok(await office.get(f"/newcomers/{amira}"))
        assert [e["method"] for e in await entries(settlement)] == ["POST"]
        down = False
        await writer.drain()
    trail = [(e["method"], e["outcome"], e["newcomers"]) for e in await entries(settlement)]
    assert trail == [("POST", 201, {amira})] + [("GET", 200, {amira})] * 3
    async with database.transaction(read_only=True) as session:
        assert (await AuditLog(session).verify()).broken_at is None


async def test_sealing_chains_the_entries_and_verifying_finds_any_tampering(settlement: FastAPI) -> None:
    async with client(settlement) as office:
        newcomers = [
            ok(await office.post("/newcomers", json=scenario.person(f"P{i}")), 201)["id"] for i in range(4)
        ]
        for newcomer in newcomers:
            ok(await office.get(f"/newcomers/{newcomer}"))
    database = service_of(settlement).database
    assert await seal_all(database) == 8
    assert await seal_all(database) == 0
    assert await verify(settlement) == Verdict(8, None)

    async with client(settlement) as office:  # entries written after a seal join the chain at the next
        ok(await office.get(f"/newcomers/{newcomers[0]}"))
    assert await seal_all(database) == 1
    assert (await verify(settlement)).entries == 9

    async def tampered(statement: str) -> Verdict:
        async with database.engine.begin() as connection:
            await connection.execute(text(statement))
        return await verify(settlement)

    altered = await tampered("UPDATE audit_entry SET subject = 'someone-else' WHERE id = 3")
    assert (altered.intact, altered.broken_at) == (False, 3), altered
    await tampered("UPDATE audit_entry SET subject = 'officer-1' WHERE id = 3")
    assert (await verify(settlement)).intact

    async with database.engine.connect() as connection:
        [(original,)] = (
            await connection.execute(text("SELECT newcomer_id FROM audit_subject WHERE entry_id = 5"))
        ).all()
    other = uuid4().hex if database.is_sqlite else str(uuid4())
    hidden = await tampered(f"UPDATE audit_subject SET newcomer_id = '{other}' WHERE entry_id = 5")
    assert (hidden.intact, hidden.broken_at) == (False, 5), hidden
    await tampered(f"UPDATE audit_subject SET newcomer_id = '{original}' WHERE entry_id = 5")
    assert (await verify(settlement)).intact

    async with database.engine.begin() as connection:
        await connection.execute(text("DELETE FROM audit_subject WHERE entry_id = 9"))
    removed = await tampered("DELETE FROM audit_entry WHERE id = 9")  # the last one: only the head knows
    assert not removed.intact
    assert "head" in removed.reason


async def test_the_auditor_reads_the_trail_filtered_and_paginated(settlement: FastAPI) -> None:
    async with client(settlement) as office, client(settlement, subject="officer-2") as colleague:
        amira = ok(await office.post("/newcomers", json=scenario.person()), 201)["id"]
        omar = ok(await colleague.post("/newcomers", json=scenario.person("Omar")), 201)["id"]
        ok(await colleague.get(f"/newcomers/{amira}"))
        assert (await office.get("/audit")).status_code == 403  # staff do not read the trail
    async with client(settlement, role="auditor", subject="auditor-1") as auditor:
        about_amira = ok(await auditor.get("/audit", params={"newcomer_id": amira}))
        assert [(e["method"], e["subject"]) for e in about_amira["items"]] == [
            ("GET", "officer-2"),
            ("POST", "officer-1"),
        ]  # newest first
        assert about_amira["total"] == 2
        by_colleague = ok(await auditor.get("/audit", params={"subject": "officer-2", "limit": 1}))
        assert (by_colleague["total"], len(by_colleague["items"])) == (2, 1)
        assert by_colleague["items"][0]["newcomer_ids"] == [amira]
        later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
        assert ok(await auditor.get("/audit", params={"from": later}))["total"] == 0
        assert ok(await auditor.get("/audit", params={"to": later}))["total"] >= 3
        assert (await auditor.get("/audit", params={"newcomer_id": "not-an-id"})).status_code == 422
    async with client(settlement, subject="officer-3", municipalities=["530"]) as far:
        assert (await far.get(f"/newcomers/{amira}")).status_code == 404
    async with (
        client(settlement, role="auditor", subject="auditor-2", municipalities=["530"]) as billund,
        client(settlement, role="auditor", subject="auditor-3", municipalities=["3405"]) as lillehammer,
    ):
        attempt = ok(await billund.get("/audit", params={"subject": "officer-3"}))["items"]
        assert [(a["outcome"], a["scope"]) for a in attempt] == [(404, "530")]
        assert ok(await lillehammer.get("/audit", params={"subject": "officer-3"}))["total"] == 0, (
            "each municipality's control sees its own staff's entries"
        )
    looks = [
        (e["subject"], e["outcome"], e["newcomers"])
        for e in await entries(settlement)
        if e["route"] == "/audit"
    ]
    assert looks[0] == ("officer-1", 403, set()), "a refused look is on record too"
    assert looks[1] == ("auditor-1", 200, {amira}), "the auditor's own look at Amira's entries is audited"
    assert omar


def test_the_verify_command_says_whether_the_trail_is_intact(tmp_path: Path) -> None:
    """`python -m services.<name> verify-audit`, as an operator runs it: exit 0 intact, 1 tampered."""
    env = {
        **os.environ,
        "SAMVIRKE_DATA_DIR": str(tmp_path),
        "SAMVIRKE_OIDC_ISSUERS": '["http://127.0.0.1:1/realms/none"]',
    }

    def verify_command() -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "services.education", "verify-audit"]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)

    first = verify_command()  # migrates the empty store, as the service would
    assert (first.returncode, first.stdout.strip()) == (0, "audit trail intact: 0 sealed entries"), (
        first.stderr
    )
    with sqlite3.connect(tmp_path / "education.db") as store:
        for subject in ("teacher-1", "teacher-2"):
            store.execute(
                "INSERT INTO audit_entry (at, subject, agency, role, scope, method, route, purpose, outcome)"
                " VALUES ('2026-12-03 10:00:00', ?, 'education', 'staff', '0301', 'GET', '/learners', 'p',"
                " 200)",
                (subject,),
            )
    sealed = verify_command()
    assert (sealed.returncode, sealed.stdout.strip()) == (0, "audit trail intact: 2 sealed entries")
    with sqlite3.connect(tmp_path / "education.db") as store:
        store.execute("UPDATE audit_entry SET subject = 'someone-else' WHERE subject = 'teacher-2'")
    broken = verify_command()
    assert broken.returncode == 1
    assert "BROKEN" in broken.stdout
    assert "entry 2 does not match its hash" in broken.stdout


def test_the_access_log_of_the_server_keeps_no_search_terms(capsys: pytest.CaptureFixture[str]) -> None:
    """uvicorn's access line names the route, never the query: `?name=Amira Haddad` stays out."""
    import logging.config

    logging.config.dictConfig(log_config())
    access = logging.getLogger("uvicorn.access")
    access.info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/newcomers?name=Amira+Haddad", "1.1", 200
    )
    for handler in access.handlers:
        handler.flush()
    line = capsys.readouterr().out
    assert '"GET /newcomers HTTP/1.1" 200' in line
    assert "Amira" not in line
