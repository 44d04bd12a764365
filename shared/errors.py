"""What a use case raises when it refuses: the domain's words, not HTTP's.

Handlers raise these; the HTTP edge (`shared.web.problems`) answers each as
an RFC 9457 problem with its status, and `extensions` become members of the
body (e.g. `existing_id` of a duplicate).
"""

from typing import Any


class DomainError(Exception):
    """A request the domain refuses; `detail` says why in words a member of staff understands."""

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class NotFound(DomainError):
    """The thing asked for does not exist (or is not this agency's to see)."""

    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"No {what} {key}.")


class Conflict(DomainError):
    """The request contradicts the state the thing is in (a duplicate, a full quota, a closed case)."""


class Forbidden(DomainError):
    """The staff member may see the thing but not do this to it (another municipality's decision)."""


class Invalid(DomainError):
    """Well-formed input that breaks a rule of the domain."""
