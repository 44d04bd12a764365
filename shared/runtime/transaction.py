"""What one transaction of a service's store carries besides its SQL: events staged, rows looked up.

Every session a `Database` opens is a `TransactionSession` of that database's
own class, so this state is typed and kept per transaction, and the outbox's
listeners (registered by the database for its own sessions, see
`shared.runtime.outbox.Outbox`) see only that database's transactions.
"""

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

T = TypeVar("T")


@dataclass
class StagedEvents:
    """Outbox rows staged in the transaction and not yet written, in staging order."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    any: bool = False  # the transaction staged something: wake the relay once it commits
    # Each open savepoint's unwritten rows when it began (SQLAlchemy ends a savepoint
    # before its rollback event: kept until the savepoint object is gone).
    at_savepoint: "weakref.WeakKeyDictionary[SessionTransaction, list[dict[str, Any]]]" = field(
        default_factory=weakref.WeakKeyDictionary
    )


@dataclass
class Lookups:
    """Rows `Store.load` found for a batch (held: the session holds rows weakly), and keys it did not."""

    loaded: list[Any] = field(default_factory=list)
    missing: dict[type[Any], set[Any]] = field(default_factory=dict)


class Memo(Generic[T]):
    """A value a store keeps for the rest of one transaction, e.g. courses read once for a batch."""

    def __init__(self, name: str, make: Callable[[], T]) -> None:
        self.name = name
        self.make = make

    def __repr__(self) -> str:
        return f"Memo({self.name!r})"


class TransactionSession(Session):
    """The session under each `AsyncSession` of a `Database`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staged = StagedEvents()
        self.lookups = Lookups()
        self.memos: dict[Memo[Any], Any] = {}
        self.seen: Any = None  # a request being audited: shared.runtime.audit.Seen


def state_of(session: AsyncSession | OrmSession) -> TransactionSession:
    """The typed state of `session`'s transaction; `session` must come from a `Database`."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    if not isinstance(sync, TransactionSession):
        raise TypeError("this session was not opened by a shared.runtime.db.Database")
    return sync
