"""End-to-end latency, API reads and memory, with the four services running as processes."""

import asyncio
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from deploy.local.stack import RunningService

from .throughput import partitions_of

REACTING = ("education", "employment", "volunteering")
OSLO = {"code": "0301", "country": "NO", "name": "Oslo", "districts": ["Alna"], "max_district_share": 1.0}


def percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "n": 0}
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "n": len(ordered)}


def client(service: RunningService) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=service.url,
        timeout=60,
        headers={"Authorization": f"Bearer {service.token()}"},
        limits=httpx.Limits(max_connections=400, max_keepalive_connections=400),
    )


async def register(settlement: RunningService, count: int) -> list[str]:
    """Newcomers registered ahead of the timed load (registration is not what is measured)."""
    async with client(settlement) as api:
        (await api.post("/municipalities", json=OSLO)).raise_for_status()
        (await api.put("/municipalities/0301/quotas/2026", json={"requested": count + 10})).raise_for_status()
        limit = asyncio.Semaphore(16)

        async def one(n: int) -> str:
            family = "".join("abcdefghij"[int(d)] for d in str(n))
            body = {
                "given_name": "Amira",
                "family_name": f"Bench {family}",
                "birth_date": "1990-04-02",
                "sex": "female",
                "country_of_origin": "SY",
                "languages": ["ar"],
                "consents": ["volunteer_contact"],
                "registered_in": "0301",
            }
            async with limit:
                return str((await api.post("/newcomers", json=body)).raise_for_status().json()["id"])

        return list(await asyncio.gather(*(one(n) for n in range(count))))


async def latency_at(
    settlement: RunningService, bootstrap: str, prefix: str, newcomers: list[str], rate: float
) -> tuple[dict[str, Any], list[str]]:
    """Open-loop settlements at `rate`/s; ms from each API response to each agency's reaction on Kafka.

    A reaction is written in the same transaction as the agency's record, so
    its arrival on Kafka is an upper bound on when the record became visible.
    Returns the figures and the newcomers settled (an overloaded server may
    drop some requests).
    """
    responded: dict[str, float] = {}
    arrived: dict[str, dict[str, float]] = {service: {} for service in ("settlement", *REACTING)}
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="latest"
    )
    await reader.start()
    topics = {f"{prefix}{service}.events": service for service in ("settlement", *REACTING)}
    partitions = await partitions_of(reader, list(topics))
    reader.assign(partitions)
    await reader.seek_to_end(*partitions)
    for partition in partitions:
        await reader.position(partition)
    wanted = set(newcomers)
    done = asyncio.Event()

    async def read() -> None:
        while not done.is_set():
            batch = await reader.getmany(timeout_ms=100)
            now = time.perf_counter()
            for partition, records in batch.items():
                service = topics[partition.topic]
                for record in records:
                    key = (record.key or b"").decode()
                    if key in wanted:
                        arrived[service].setdefault(key, now)

    reading = asyncio.create_task(read())
    errors = 0
    async with client(settlement) as api:

        async def settle(newcomer_id: str) -> None:
            nonlocal errors
            body = {"municipality_code": "0301", "district": "Alna", "settled_on": "2026-11-02"}
            try:
                response = await api.post(f"/newcomers/{newcomer_id}/settlement", json=body)
            except httpx.HTTPError:  # an overloaded server drops connections: counted, not fatal
                errors += 1
                return
            if response.status_code == 200:
                responded[newcomer_id] = time.perf_counter()
            else:
                errors += 1

        started = time.perf_counter()
        sending = []
        for n, newcomer_id in enumerate(newcomers):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            sending.append(asyncio.create_task(settle(newcomer_id)))
        sent_in = time.perf_counter() - started
        await asyncio.gather(*sending)
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline and any(len(a) < len(responded) for a in arrived.values()):  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    done.set()
    await reading
    await reader.stop()
    result: dict[str, Any] = {
        "rate_per_s": rate,
        "achieved_rate_per_s": round((len(newcomers) - 1) / sent_in, 1),
    }
    for service in ("settlement", *REACTING):  # settlement: its own event reaching Kafka
        lags = [
            max(0.0, (arrived[service][k] - t) * 1000) for k, t in responded.items() if k in arrived[service]
        ]
        result[service] = percentiles(lags)
    result["all_three"] = percentiles(
        [
            max(0.0, (max(arrived[s][k] for s in REACTING) - t) * 1000)
            for k, t in responded.items()
            if all(k in arrived[s] for s in REACTING)
        ]
    )
    result["errors"] = errors
    return result, list(responded)


async def api_reads(service: RunningService, paths: list[str], rate: float, seconds: float) -> dict[str, Any]:
    """Single-record reads at a fixed rate: response times in ms."""
    times: list[float] = []
    async with client(service) as api:

        async def read(path: str) -> None:
            started = time.perf_counter()
            (await api.get(path)).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        reads = []
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            reads.append(asyncio.create_task(read(random.choice(paths))))
        await asyncio.gather(*reads)
    result = percentiles(times)
    return {"rate_per_s": rate, "p50": result["p50"], "p99": result["p99"], "n": result["n"]}


async def drained(bootstrap: str, prefix: str, timeout_s: float = 600) -> None:
    """Waits until every agency's consumer group has caught up with what it consumes."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await reader.start()
    try:
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            behind = 0
            for service in REACTING:
                committed = await admin.list_consumer_group_offsets(f"{prefix}{service}")
                ends = await reader.end_offsets(list(committed))
                behind += sum(ends[tp] - meta.offset for tp, meta in committed.items())
            if not behind:
                return
            await asyncio.sleep(0.5)
        raise TimeoutError("the agencies did not catch up")
    finally:
        await reader.stop()
        await admin.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


@contextmanager
def peak_rss(services: dict[str, RunningService]) -> Iterator[dict[str, float]]:
    """Samples each service's resident memory twice a second; yields the peaks seen."""
    peaks = {name: 0.0 for name in services}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            for name, service in services.items():
                peaks[name] = max(peaks[name], rss_mb(service.process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peaks
    finally:
        stop.set()
        sampler.join()
