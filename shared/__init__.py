"""Samvirke's common library: what every agency service shares, in parts that say what they are.

- `contracts`: the event catalogue and the CloudEvents envelope, what other agencies rely on.
- `runtime`: the store, outbox and relay, inbox, consumer routing, broker wiring, telemetry.
- `web`: the HTTP edge: problem+json, bearer tokens, pagination, health and AsyncAPI.
- `domain`: helpers of the domain more than one agency uses (dates, contacts).
- `service`: one service assembled from these (`build_service`), run as a process, replayed.
- `errors`: what a use case raises when it refuses; `config`: the settings every service shares.

Nothing here imports a service, and nothing connects to anything at import time.
"""
