"""Samvirke's common library: what every agency service shares, in parts that say what they are.

- `contracts`: the event catalogue and the CloudEvents envelope, what other agencies rely on.
- `runtime`: the store, outbox, inbox, consumer routing, broker wiring, telemetry, replay.
- `web`: the HTTP edge: problem+json, bearer tokens, pagination, health and AsyncAPI.
- `domain`: helpers of the domain more than one agency uses (dates, contacts).
- `service`: one service assembled from these (`build_service`) and run as a process.
- `errors`: what a use case raises when it refuses; `config`: the settings every service shares.

Nothing here imports a service, and nothing connects to anything at import time.
"""
