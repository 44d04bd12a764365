"""How events move between a service's store and Kafka, each exactly once in effect.

- `db`: the store's engine and transactions (`sqlite`: the SQLite driver it uses).
- `store`: the base of every service's store, the only place that talks SQL.
- `outbox` / `relay`: events staged in a transaction, published after it commits.
- `routing`: the words a consumer table is written in (`on_store`, `Only`, `NotForUs`, …).
- `inbox`: applies other agencies' events once each, whatever Kafka redelivers.
- `messaging`, `topics`: the broker, subscriptions, publishers and dead letters.
- `transaction`: the typed state a transaction carries (staged events, lookups, memos).
- `telemetry`, `migrations`.
"""
