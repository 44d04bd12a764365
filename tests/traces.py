"""Where a person's name or contact data is left: every row of every table of a store, every record a topic
still serves once compaction has run."""

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from sqlalchemy.engine import make_url


def _matching(table: str, rows: Iterable[Sequence[Any]], traces: Sequence[str]) -> list[str]:
    found = []
    for row in rows:
        text = " ".join(str(value) for value in row)
        if any(trace in text for trace in traces):
            found.append(f"{table}: {text[:160]}")
    return found


def in_store(database_url: str, traces: Sequence[str]) -> list[str]:
    """Every row of every table of the store (a SQLAlchemy URL, SQLite or PostgreSQL) holding a trace."""
    url = make_url(database_url)
    found = []
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(url.database or "") as connection:
            tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                found += _matching(table, connection.execute(f'SELECT * FROM "{table}"'), traces)
        return found
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as connection:
        tables = [
            r[0]
            for r in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ]
        for table in tables:
            found += _matching(table, connection.execute(f'SELECT * FROM "{table}"'), traces)  # type: ignore[arg-type]
    return found


def as_compacted(records: Iterable[Any]) -> list[Any]:
    """What a compacted topic serves once the log cleaner has run: the latest record per key, none for a
    key whose latest record is a tombstone. (Records without a key are kept, as the cleaner must.)"""
    latest: dict[bytes, Any] = {}
    unkeyed = []
    for record in records:
        if record.key is None:
            unkeyed.append(record)
        else:
            latest.pop(record.key, None)
            latest[record.key] = record
    return unkeyed + [r for r in latest.values() if r.value is not None]


def in_records(records: Iterable[Any], traces: Sequence[str]) -> list[str]:
    return [
        f"{record.topic}@{record.offset}"
        for record in records
        if any(trace.encode() in (record.value or b"") for trace in traces)
    ]
