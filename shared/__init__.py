"""Samvirke's common library: contracts and plumbing every agency service shares.

- `events`: the event catalogue, the one definition of every cross-agency event.
- `envelope`: CloudEvents 1.0 in Kafka binary mode.
- `outbox` / `inbox`: exactly-once effects between a service's store and Kafka.
- `messaging`, `telemetry`, `auth`, `http`, `config`, `db`: service wiring.
- `devtools`: a real Kafka broker and PostgreSQL for development and tests.

Nothing here imports a service, and nothing connects to anything at import time.
"""
