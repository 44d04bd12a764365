"""What the audit entry costs a request: the same reads with the trail written and without it.

    python -m bench.audit_cost [REQUESTS] [DATABASE_URL]

In one process, on one store (SQLite in a temporary folder unless
DATABASE_URL names one), education's API is asked REQUESTS times each for a
learner (`GET /learners/{id}`: one entry, one subject, one access event
staged) and for a page of 50 learners (`GET /learners?limit=50`: one entry,
50 subjects, 50 access events), through the app's own ASGI stack. Rounds
with and without the trail alternate (without: every route treated as not
personal, so nothing is written), and the median request time of each is
compared, as are the reads per second of 8 concurrent callers; and the same
with the entries of reads committed after the response rather than before it
(`SAMVIRKE_AUDIT_READS_BEFORE_RESPONSE=false`). The token
check is replaced by a fixed principal: the same in both, and not measured.
"""

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
from fastapi import FastAPI, Request

from services.education.handlers.learners import open_learner_record
from services.education.store import EducationStore
from shared.contracts.agencies import Agency
from shared.contracts.events.settlement import AgeGroup, NewcomerSettled
from shared.service import service_of
from shared.web import audit
from shared.web.auth import Principal, Role, current_principal

from . import throughput

ROUNDS = 4  # each way, alternating
CLIENTS = 8  # callers at once, for the throughput figure


@contextmanager
def trail_written(on: bool) -> Iterator[None]:
    original = audit.is_personal
    if not on:
        audit.is_personal = lambda route: False
    try:
        yield
    finally:
        audit.is_personal = original


async def _seed(app: FastAPI, learners: int) -> list[str]:
    ids = []
    async with service_of(app).database.transaction() as session:
        store = EducationStore(session)
        for n in range(learners):
            event = NewcomerSettled(
                newcomer_id=uuid4(),
                municipality_code="0301",
                district="Alna",
                settled_on=date(2026, 3, 1 + n % 28),
                age_group=AgeGroup.ADULT,
                volunteer_contact_consent=False,
            )
            await open_learner_record(store, event)
            ids.append(str(event.newcomer_id))
    return ids


async def _timed(client: httpx.AsyncClient, urls: list[str]) -> list[float]:
    times = []
    for url in urls:
        started = time.perf_counter()
        answer = await client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise RuntimeError(f"{url}: {answer.status_code} {answer.text[:200]}")
    return times


async def _concurrently(client: httpx.AsyncClient, urls: list[str], clients: int) -> float:
    """Requests per second `clients` concurrent callers get through `urls`."""
    queue = list(reversed(urls))

    async def caller() -> None:
        while queue:
            url = queue.pop()
            answer = await client.get(url)
            if answer.status_code != 200:
                raise RuntimeError(f"{url}: {answer.status_code}")

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(clients)))
    return len(urls) / (time.perf_counter() - started)


async def audit_cost(requests: int, database_url: str = "") -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="samvirke-audit-"))
    app = throughput.consumer("education", "127.0.0.1:9", "", work, database_url)
    principal = Principal(
        subject="bench-teacher", agency=Agency.EDUCATION, role=Role.STAFF, municipalities=frozenset({"0301"})
    )

    async def fixed_principal(request: Request) -> Principal:
        request.state.principal = principal
        return principal

    app.dependency_overrides[current_principal] = fixed_principal
    database = service_of(app).database
    await database.migrate(service_of(app).migrations)
    try:
        ids = await _seed(app, 200)
        one = [f"/learners/{ids[n % len(ids)]}" for n in range(requests)]
        page = [f"/learners?limit=50&offset={50 * (n % 4)}" for n in range(max(requests // 5, 20))]
        # Three ways, alternating: no trail; entries committed before the response (the default);
        # entries committed after it (audit_reads_before_response = false).
        modes = ("without", "before_response", "after_response")
        samples: dict[str, dict[str, list[float]]] = {
            "one": {m: [] for m in modes},
            "page": {m: [] for m in modes},
        }
        rates: dict[str, list[float]] = {m: [] for m in modes}
        writer = app.state.audit_writer
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://education") as client:
            await _timed(client, one[:20])  # warm
            for round_ in range(ROUNDS * len(modes)):
                mode = modes[round_ % len(modes)]
                writer.wait = mode != "after_response"
                with trail_written(mode != "without"):
                    samples["one"][mode] += await _timed(client, one)
                    samples["page"][mode] += await _timed(client, page)
                    rates[mode].append(await _concurrently(client, one, CLIENTS))
                    await writer.drain()  # what a round left goes before the next round is timed
        result: dict[str, Any] = {}
        for kind, by in samples.items():
            without = statistics.median(by["without"])
            with_, after = statistics.median(by["before_response"]), statistics.median(by["after_response"])
            result[kind] = {
                "median_ms_with_audit": round(with_, 3),
                "median_ms_without": round(without, 3),
                "overhead_ratio": round(with_ / without, 3),
                "median_ms_entry_after_response": round(after, 3),
                "overhead_ratio_entry_after_response": round(after / without, 3),
            }
        without = statistics.median(rates["without"])
        with_, after = statistics.median(rates["before_response"]), statistics.median(rates["after_response"])
        result[f"{CLIENTS}_concurrent"] = {
            "reads_per_s_with_audit": round(with_),
            "reads_per_s_without": round(without),
            "throughput_ratio": round(with_ / without, 3),
            "reads_per_s_entry_after_response": round(after),
            "throughput_ratio_entry_after_response": round(after / without, 3),
        }
        return result
    finally:
        await database.dispose()


if __name__ == "__main__":
    arguments = sys.argv[1:]
    count = int(arguments[0]) if arguments else 500
    url = arguments[1] if len(arguments) > 1 else ""
    print(asyncio.run(audit_cost(count, url)))
