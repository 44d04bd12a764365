"""One agency service assembled from the shared parts, and run as a process.

- `handle`: `Service`, the typed parts (store, broker, relay, consumer, topics, migrations).
- `app`: `build_service`, the HTTP app around a `Service`; `store_dependency` for routes.
- `serve`: `python -m services.<name> [serve | replay [--from-scratch]]`; `replay`: the rebuild.
"""

from shared.service.app import build_service, service_of, store_dependency
from shared.service.handle import Service, Topics, assemble

__all__ = ["Service", "Topics", "assemble", "build_service", "service_of", "store_dependency"]
