"""The issue's replay at full size: settlements on one topic, replayed into education's empty store.

    python -m bench.replay_only [EVENTS]

`make bench` replays the topic its apply step filled (`BENCH_EVENTS`); the
performance issue asks for a million events, which would make that run
apply a million twice first. This produces EVENTS settlements (1,000,000
unless given) on a fresh topic of a real local broker (the tests' provider)
and times `replay --from-scratch` of education into an empty SQLite store.
"""

import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path
from uuid import uuid4

from deploy.local.broker import provide_kafka

from . import throughput


def main(events: int) -> None:
    with provide_kafka(topics=()) as kafka:
        prefix = f"m{uuid4().hex[:6]}."
        started = time.perf_counter()
        for start in range(0, events, 100_000):  # the records of one step are held in memory
            count = min(100_000, events - start)
            asyncio.run(
                throughput.produce_settlements(kafka.bootstrap_servers, f"{prefix}settlement.events", count)
            )
        print(f"produced {events} settlements in {time.perf_counter() - started:.0f} s", flush=True)
        app = throughput.consumer(
            "education", kafka.bootstrap_servers, prefix, Path(tempfile.mkdtemp(prefix="samvirke-replay-"))
        )
        rate, records = asyncio.run(throughput.replay_rate(app))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"replayed {records} records at {rate:.0f} events/s; peak resident memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
