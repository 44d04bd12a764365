"""`make bench`: measures the platform on this machine against a real local broker.

Prints a table and writes bench/results/latest.json. Sizes come from the
environment (defaults keep a run to a few minutes; bench/README.md gives the
issue's full sizes): BENCH_EVENTS, BENCH_RELAY_EVENTS, BENCH_RATES,
BENCH_DURATION_S, BENCH_READ_RATE.
"""

import asyncio
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

from deploy.local.broker import KafkaEndpoint, provide_kafka
from deploy.local.identity import provide_identity
from deploy.local.postgres import provide_postgres
from deploy.local.stack import run_stack

from . import audit_cost, latency, throughput

RESULTS = Path(__file__).parent / "results" / "latest.json"


def main() -> None:
    events = int(os.environ.get("BENCH_EVENTS", "20000"))
    relay_events = int(os.environ.get("BENCH_RELAY_EVENTS", "10000"))
    rates = [float(rate) for rate in os.environ.get("BENCH_RATES", "50,100,200").split(",")]
    duration_s = float(os.environ.get("BENCH_DURATION_S", "10"))
    read_rate = float(os.environ.get("BENCH_READ_RATE", "50"))
    work = Path(tempfile.mkdtemp(prefix="samvirke-bench-"))
    results: dict[str, Any] = {
        "machine": machine(),
        "sizes": {"events": events, "relay_events": relay_events},
    }

    # Unauthenticated: the figures are the platform's, comparable with earlier rounds.
    with provide_kafka(topics=(), authenticated=False) as kafka, provide_postgres() as postgres:
        bootstrap = kafka.bootstrap_servers
        results["machine"]["kafka"] = kafka.provider
        on_sqlite, on_postgres = f"a{uuid4().hex[:6]}.", f"p{uuid4().hex[:6]}."
        step(f"producing {events} settlements (twice: one topic per store)")
        for prefix in (on_sqlite, on_postgres):
            asyncio.run(throughput.produce_settlements(bootstrap, f"{prefix}settlement.events", events))

        step("bare aiokafka consumer")
        bare = asyncio.run(throughput.bare_consumer_rate(bootstrap, f"{on_sqlite}settlement.events", events))
        results["bare_consumer_events_per_s"] = round(bare)

        step("education applying them, on SQLite and on PostgreSQL")
        apply = {
            "sqlite": asyncio.run(
                throughput.apply_rate(
                    throughput.consumer("education", bootstrap, on_sqlite, work / "a"), events
                )
            ),
            "postgresql": asyncio.run(
                throughput.apply_rate(
                    throughput.consumer(
                        "education",
                        bootstrap,
                        on_postgres,
                        work / "p",
                        postgres.create_database(f"bench_{uuid4().hex[:8]}"),
                    ),
                    events,
                )
            ),
        }
        results["apply_events_per_s"] = {store: round(rate) for store, rate in apply.items()}
        results["apply_to_bare_consumer_ratio"] = {
            store: round(rate / bare, 4) for store, rate in apply.items()
        }

        step("employment and volunteering applying the same settlements, on SQLite")
        by_service = {"education": apply["sqlite"]}
        for name in ("employment", "volunteering"):
            app = throughput.consumer(name, bootstrap, on_sqlite, work / name)
            by_service[name] = asyncio.run(throughput.apply_rate(app, events))
        results["apply_events_per_s_by_service"] = {name: round(rate) for name, rate in by_service.items()}

        # Its own topic: the others by now also hold employment's and volunteering's reactions,
        # which education reads and skips, and a replay of them would count those records too.
        step(f"replay of {events} settlements into an empty SQLite store")
        replay_prefix = f"r{uuid4().hex[:6]}."
        asyncio.run(throughput.produce_settlements(bootstrap, f"{replay_prefix}settlement.events", events))
        replayed, records = asyncio.run(
            throughput.replay_rate(throughput.consumer("education", bootstrap, replay_prefix, work / "r"))
        )
        results["replay_events_per_s"] = round(replayed)
        results["replay_events"] = records

        step(f"outbox relay and bare producer, {relay_events} events each")
        relay_prefix = f"o{uuid4().hex[:6]}."
        relay = asyncio.run(throughput.relay_rate(bootstrap, relay_prefix, work / "o", relay_events))
        producer = asyncio.run(
            throughput.bare_producer_rate(bootstrap, f"{relay_prefix}bare.events", relay_events)
        )
        results["relay_events_per_s"] = round(relay)
        results["bare_producer_events_per_s"] = round(producer)
        results["relay_to_bare_producer_ratio"] = round(relay / producer, 4)

        step("what the audit entry costs a request, on SQLite and on PostgreSQL")
        results["audit_cost"] = {
            "sqlite": asyncio.run(audit_cost.audit_cost(300)),
            "postgresql": asyncio.run(
                audit_cost.audit_cost(300, postgres.create_database(f"bench_{uuid4().hex[:8]}"))
            ),
        }

        step("four services as processes: memory at rest, end-to-end latency, API reads")
        results.update(processes(kafka, work / "stack", rates, duration_s, read_rate))

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    print(f"\nwritten to {RESULTS}")


def processes(
    kafka: KafkaEndpoint, data_dir: Path, rates: list[float], duration_s: float, read_rate: float
) -> dict[str, Any]:
    bootstrap = kafka.bootstrap_servers
    prefix = f"e{uuid4().hex[:6]}."
    with (
        provide_identity() as identity,
        run_stack(kafka=kafka, data_dir=data_dir, identity=identity, topic_prefix=prefix) as stack,
    ):
        time.sleep(3)
        at_rest = {name: latency.rss_mb(service.process.pid) for name, service in stack.items()}
        needed = [int(rate * duration_s) for rate in rates]
        newcomers = asyncio.run(latency.register(stack["settlement"], sum(needed)))
        e2e: dict[str, Any] = {}
        settled: list[str] = []
        with latency.peak_rss(stack) as peaks:
            start = 0
            for rate, count in zip(rates, needed, strict=True):
                asyncio.run(latency.drained(bootstrap, prefix))  # each rate starts from idle agencies
                step(f"  {rate:g} settlements/s for {duration_s:g}s")
                e2e[f"{rate:g}/s"], settled_now = asyncio.run(
                    latency.latency_at(
                        stack["settlement"], bootstrap, prefix, newcomers[start : start + count], rate
                    )
                )
                settled += settled_now
                start += count
            asyncio.run(latency.drained(bootstrap, prefix))
            step(f"  single-record reads at {read_rate:g}/s")
            paths = [f"/learners/{newcomer}" for newcomer in settled]  # a dropped settle made no learner
            reads = asyncio.run(latency.api_reads(stack["education"], paths, read_rate, 5))
        return {
            "e2e_latency_ms": e2e,
            "api_read_ms": reads,
            "rss_mb": {name: {"at_rest": at_rest[name], "under_load": peaks[name]} for name in stack},
        }


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def step(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def print_table(results: dict[str, Any]) -> None:
    rows = [
        ("apply, education on SQLite (events/s)", results["apply_events_per_s"]["sqlite"]),
        ("apply, education on PostgreSQL (events/s)", results["apply_events_per_s"]["postgresql"]),
        *(
            (f"apply, {name} on SQLite (events/s)", results["apply_events_per_s_by_service"][name])
            for name in ("employment", "volunteering")
        ),
        ("bare aiokafka consumer (events/s)", results["bare_consumer_events_per_s"]),
        ("apply / bare consumer, SQLite", results["apply_to_bare_consumer_ratio"]["sqlite"]),
        ("apply / bare consumer, PostgreSQL", results["apply_to_bare_consumer_ratio"]["postgresql"]),
        (
            f"replay of {results['replay_events']} events into an empty store (events/s)",
            results["replay_events_per_s"],
        ),
        ("outbox relay (events/s)", results["relay_events_per_s"]),
        ("bare aiokafka producer (events/s)", results["bare_producer_events_per_s"]),
        ("relay / bare producer", results["relay_to_bare_producer_ratio"]),
        (
            "API single-record read p50 / p99 (ms)",
            f"{results['api_read_ms']['p50']} / {results['api_read_ms']['p99']}",
        ),
    ]
    for rate, measured in results["e2e_latency_ms"].items():
        every = measured["all_three"]
        rows.append(
            (
                f"e2e, all three at {rate} (sent {measured['achieved_rate_per_s']}/s) p50/p95/p99 ms",
                f"{every['p50']} / {every['p95']} / {every['p99']}",
            )
        )
    for store, cost in results["audit_cost"].items():
        one, page, together = cost["one"], cost["page"], cost["8_concurrent"]
        rows += [
            (
                f"audited read of one learner, {store}: median ms with / without entry",
                f"{one['median_ms_with_audit']} / {one['median_ms_without']} (x{one['overhead_ratio']})",
            ),
            (
                f"audited page of 50 learners, {store}: median ms with / without",
                f"{page['median_ms_with_audit']} / {page['median_ms_without']} (x{page['overhead_ratio']})",
            ),
            (
                f"8 concurrent readers, {store}: reads/s with / without entries",
                f"{together['reads_per_s_with_audit']} / {together['reads_per_s_without']}"
                f" (x{together['throughput_ratio']})",
            ),
            (
                f"the same, {store}, entries of reads after the response: one / page / 8 concurrent",
                f"x{one['overhead_ratio_entry_after_response']}"
                f" / x{page['overhead_ratio_entry_after_response']}"
                f" / x{together['throughput_ratio_entry_after_response']}",
            ),
        ]
    for name, rss in results["rss_mb"].items():
        rows.append((f"RSS {name} at rest / under load (MB)", f"{rss['at_rest']} / {rss['under_load']}"))
    width = max(len(label) for label, _ in rows)
    print()
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
