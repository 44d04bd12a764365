"""Explicit topic provisioning: one topic per publishing agency, history kept."""

import logging
from collections.abc import Collection, Iterable
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

log = logging.getLogger(__name__)

# Topics keep their history so a service can rebuild derived state by replay.
KEEP_HISTORY = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}
# Per-person topics keep the latest record per key; tombstones go after a day.
COMPACT = {"cleanup.policy": "compact", "delete.retention.ms": "86400000"}


async def ensure_topics(
    bootstrap_servers: str,
    names: Iterable[str],
    *,
    partitions: int,
    compacted: Collection[str] = (),
    **client_options: Any,
) -> list[str]:
    """Creates the missing topics among `names` (those in `compacted` compacted); returns those created.

    `client_options` authenticate the admin client (`ServiceSettings.kafka_client_options`).
    """
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, request_timeout_ms=30_000, **client_options
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in dict.fromkeys(names) if name not in existing]
        if missing:
            response = await admin.create_topics(
                [
                    NewTopic(
                        name, partitions, 1, topic_configs=COMPACT if name in compacted else KEEP_HISTORY
                    )
                    for name in missing
                ]
            )
            for topic_error in getattr(response, "topic_errors", []):
                name, code = topic_error[0], topic_error[1]
                # 36 = TOPIC_ALREADY_EXISTS: another service created it concurrently.
                if code not in (0, 36):
                    raise RuntimeError(f"could not create topic {name}: error code {code}")
            log.info("created topics %s", ", ".join(missing))
        return missing
    finally:
        await admin.close()
