"""What the end-to-end tests share: each agency's staff member at its running service, and waiting."""

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any, TypeVar

import httpx

from deploy.local.identity import IdentityProvider
from deploy.local.stack import tokens

T = TypeVar("T")


@contextmanager
def staff_clients(stack: Mapping[str, Any], identity: IdentityProvider) -> Iterator[dict[str, httpx.Client]]:
    """An HTTP client per running service, carrying its agency's staff member's token; closed after."""
    agency_tokens = tokens(identity)
    with ExitStack() as clients:
        yield {
            name: clients.enter_context(
                httpx.Client(
                    base_url=service.url,
                    headers={"Authorization": f"Bearer {agency_tokens[name]}"},
                    timeout=10,
                )
            )
            for name, service in stack.items()
        }


def wait_for(check: Callable[[], T | None], timeout_s: float = 30) -> T:
    """`check`'s first truthy answer, asked every 0.1 s; fails the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    raise AssertionError(f"not seen within {timeout_s}s")
