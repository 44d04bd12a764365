"""What every service's store shares: a session, and events staged in its transaction."""

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, func, inspect, literal, or_
from sqlalchemy import delete as sa_delete
from sqlalchemy import update as sa_update
from sqlalchemy.orm import configure_mappers, instrumentation
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from shared.contracts.envelope import Envelope
from shared.contracts.events import Event
from shared.errors import Forbidden, NotFound
from shared.runtime.db import matching_keys
from shared.runtime.outbox import stage, stage_tombstone
from shared.runtime.scope import Scope
from shared.runtime.transaction import Memo, state_of

__all__ = ["Memo", "Scope", "Store", "called", "new_row"]

RowT = TypeVar("RowT")
QueryT = TypeVar("QueryT", bound=Select[*tuple[Any, ...]])
ModelT = TypeVar("ModelT", bound=SQLModel)
T = TypeVar("T")


class Store:
    """Base of each service's store, the only place that service talks SQL.

    Built with a `Scope` (an API request), the store acts for one staff
    member: `find`, `existing` and every query passed through `scoped` see
    only rows within the scope, so a row of another municipality is simply
    not found, and `add_row` refuses a row outside it. Built without one (a
    consumer, a sweep, replay), it is the service itself and sees all.
    """

    source: ClassVar[str]  # the CloudEvents source of what this service publishes
    # Tables whose rows name their municipality in a column: seen and written within the scope only.
    municipality_columns: ClassVar[Mapping[type[SQLModel], str]] = {}
    # Tables whose rows are about a newcomer through a column other than `newcomer_id` (audited).
    newcomer_keys: ClassVar[Mapping[type[SQLModel], str]] = {}

    def __init__(self, session: AsyncSession, scope: Scope | None = None) -> None:
        self.session = session
        self.scope = scope
        self._transaction = state_of(session)

    # scope

    def scope_condition(self, model: type[SQLModel], scope: Scope) -> ColumnElement[bool] | None:
        """What `model`'s rows within `scope` meet, in SQL; None where every row is in it.

        Stores add the tables whose scope is found through another row (a
        placement through its case, a volunteer through their organisation).
        """
        column = self.municipality_columns.get(model)
        if column is None:
            return None
        return col(getattr(model, column)).in_(scope.municipalities)

    def scoped(self, query: QueryT, *models: type[SQLModel]) -> QueryT:
        """`query` kept to the rows of `models` (its tables) within the store's scope."""
        if self.scope is None:
            return query
        for model in models:
            if (condition := self.scope_condition(model, self.scope)) is not None:
                query = query.where(condition)
        return query

    def acts_for(self, municipality_code: str | None) -> bool:
        """Whether the store's staff member acts for `municipality_code` (the service itself: always)."""
        return self.scope is None or municipality_code in self.scope.municipalities

    def check_acts_for(self, municipality_code: str | None, refusal: str) -> None:
        """Raises Forbidden, `refusal` first, unless the staff member acts for `municipality_code`."""
        if not self.acts_for(municipality_code):
            assert self.scope is not None
            raise Forbidden(f"{refusal} The token acts for {self.scope.names()}.")

    def check_writable(self, row: SQLModel) -> None:
        """Refuses a new row outside the scope; stores add their own kinds of row."""
        if (column := self.municipality_columns.get(type(row))) is not None:
            code = getattr(row, column)
            self.check_acts_for(code, f"The {called(type(row))} would belong to municipality {code}.")

    async def _within_scope(self, model: type[SQLModel], key: Any, row: SQLModel) -> bool:
        assert self.scope is not None
        if (column := self.municipality_columns.get(model)) is not None:
            return self.acts_for(getattr(row, column))
        condition = self.scope_condition(model, self.scope)
        if condition is None:
            return True
        columns = list(model.__table__.primary_key.columns)  # type: ignore[attr-defined]
        values = key if isinstance(key, tuple) else (key,)
        query = select(literal(True)).where(and_(*(c == v for c, v in zip(columns, values, strict=True))))
        return (await self.session.exec(query.where(condition))).first() is not None

    # rows

    def add_row(self, row: SQLModel) -> None:
        """Adds `row` to the transaction; `find` then finds it."""
        if self.scope is not None:
            self.check_writable(row)
        self.session.add(row)
        if self._transaction.seen is not None:  # an audited request: a row it creates touches its newcomer
            self._transaction.seen.note(row)
        if missing := self._transaction.lookups.missing.get(type(row)):
            missing.discard(_key_of(row))

    async def load(self, model: type[SQLModel], keys: Iterable[Any]) -> None:
        """Loads `model`'s rows with these primary keys at once, so `find` then queries nothing for them.

        A consumer loads what a batch of events will look up. Keys with no row
        are remembered for the rest of the transaction, until `add_row` adds
        one: nothing else writes these rows meanwhile (SQLite's write lock is
        held; on PostgreSQL each kind of row has one writer, the consumer).
        """
        wanted = set(keys)
        columns = list(model.__table__.primary_key.columns)  # type: ignore[attr-defined]
        found: set[Any] = set()
        lookups = self._transaction.lookups
        for matches in matching_keys(columns, wanted):  # bounded statements that use the key's index
            rows = (await self.session.exec(select(model).where(matches))).all()
            lookups.loaded.extend(rows)  # the session holds rows weakly
            found.update(_key_of(row) for row in rows)
        lookups.missing.setdefault(model, set()).update(wanted - found)

    async def find(self, model: type[ModelT], key: Any, *, for_update: bool = False) -> ModelT | None:
        """The row with primary key `key` within the scope: from the session if loaded, with no query
        if known missing; `for_update` locks it for the transaction (PostgreSQL)."""
        if key in self._transaction.lookups.missing.get(model, ()):
            return None
        row = await self.session.get(model, key, with_for_update=for_update or None)
        if row is not None and self.scope is not None and not await self._within_scope(model, key, row):
            return None
        return row

    async def existing(self, model: type[ModelT], key: Any, *, for_update: bool = False) -> ModelT:
        """The row a use case needs: `model`'s with primary key `key`, or NotFound naming both.

        `for_update` locks the row for the transaction (PostgreSQL), to serialise
        what depends on it, such as the seats of a course.
        """
        row = await self.find(model, key, for_update=for_update)
        if row is None:
            raise NotFound(called(model), key)
        return row

    def memo(self, memo: Memo[T]) -> T:
        """What this transaction keeps under `memo`, made the first time it is asked for."""
        memos = self._transaction.memos
        if memo not in memos:
            memos[memo] = memo.make()
        return memos[memo]  # type: ignore[no-any-return]

    def memo_if_made(self, memo: Memo[T]) -> T | None:
        return self._transaction.memos.get(memo)

    def drop_memo(self, memo: Memo[Any]) -> None:
        self._transaction.memos.pop(memo, None)

    async def flush(self) -> None:
        """Writes pending rows now, so rows that refer to them can follow in the same transaction."""
        await self.session.flush()

    async def erase_about(
        self,
        newcomer_id: UUID,
        *,
        delete: Sequence[type[SQLModel]],
        clear: Mapping[type[SQLModel], tuple[str, ...]],
    ) -> tuple[dict[str, int], dict[str, int]]:
        """Deletes `delete`'s rows about the newcomer and empties `clear`'s free-text columns in theirs
        (their `newcomer_id` column names them); what was removed and what remains, per table
        (`contact`) and per table and cleared columns (`case.end_note`)."""
        removed: dict[str, int] = {}
        for model in delete:
            table = str(model.__tablename__)
            about = col(model.newcomer_id) == newcomer_id  # type: ignore[attr-defined]
            removed[table] = (
                await self.session.exec(select(func.count()).select_from(model).where(about))
            ).one()
            await self.session.exec(sa_delete(model).where(about))
        for model, columns in clear.items():
            filled = self._filled(model, newcomer_id, columns)
            label = f"{model.__tablename__!s}.{'.'.join(columns)}"
            removed[label] = (
                await self.session.exec(select(func.count()).select_from(model).where(filled))
            ).one()
            await self.session.exec(sa_update(model).where(filled).values({name: None for name in columns}))
        remaining = {
            **{
                str(model.__tablename__): (
                    await self.session.exec(
                        select(func.count()).select_from(model).where(col(model.newcomer_id) == newcomer_id)  # type: ignore[attr-defined]
                    )
                ).one()
                for model in delete
            },
            **{
                f"{model.__tablename__!s}.{'.'.join(columns)}": (
                    await self.session.exec(
                        select(func.count())
                        .select_from(model)
                        .where(self._filled(model, newcomer_id, columns))
                    )
                ).one()
                for model, columns in clear.items()
            },
        }
        return removed, remaining

    @staticmethod
    def _filled(model: type[SQLModel], newcomer_id: UUID, columns: tuple[str, ...]) -> ColumnElement[bool]:
        about = col(model.newcomer_id) == newcomer_id  # type: ignore[attr-defined]
        return and_(about, or_(*(col(getattr(model, name)).is_not(None) for name in columns)))

    def emit(self, event: Event) -> Envelope:
        """Stages `event` in this transaction's outbox: written as it commits, then relayed to Kafka."""
        return stage(self.session, event, source=self.source)

    def forget(self, event_type: type[Event], key: str) -> None:
        """Stages a tombstone: the compacted topic of `event_type` drops what it holds for `key`."""
        stage_tombstone(self.session, event_type, key, source=self.source)

    async def page(
        self, query: SelectOfScalar[RowT], *order_by: Any, limit: int, offset: int
    ) -> tuple[list[RowT], int]:
        """One page of `query`'s rows in a stable order, and how many rows there are in all."""
        total = (await self.session.exec(select(func.count()).select_from(query.subquery()))).one()
        rows = await self.session.exec(query.order_by(*order_by).limit(limit).offset(offset))
        return list(rows.all()), total


def new_row(model: type[ModelT], **values: Any) -> ModelT:
    """A new row of table `model`, as `model(**values)` builds it, at a tenth of the cost.

    A table model's constructor validates nothing; it sets every field,
    given or default, through SQLModel's, pydantic's and SQLAlchemy's
    attribute hooks, and asks pydantic for each default afresh (~160 µs for
    a learner). Consumers building a row per event use this instead: the
    values go straight into the instance's state, which is what the ORM
    reads when it inserts a pending row, and the defaults are resolved once
    per model. Fields set afterwards go through the hooks as usual.
    Relationships are left unset, as the constructor leaves those not given;
    they may still order the rows' inserts.
    """
    defaults, factories = _defaults_of(model)
    unknown = values.keys() - model.model_fields.keys()
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    row = instrumentation.manager_of_class(model).new_instance()
    state = row.__dict__
    state.update(defaults)
    for name, factory in factories.items():
        if name not in values:
            state[name] = factory()
    state.update(values)
    object.__setattr__(row, "__pydantic_fields_set__", set(values))
    return row


@functools.cache
def _defaults_of(model: type[SQLModel]) -> tuple[dict[str, Any], dict[str, Callable[[], Any]]]:
    if model.__pydantic_post_init__ or model.__private_attributes__:
        raise TypeError(f"new_row does not build {model.__name__}: it has post-init hooks or private state")
    # The constructor configures the mappers on first use; an instance made without it needs them too.
    configure_mappers()
    defaults: dict[str, Any] = {}
    factories: dict[str, Callable[[], Any]] = {}
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            factories[name] = field.default_factory  # type: ignore[assignment]
        elif not field.is_required():
            if not isinstance(field.default, str | int | float | bool | bytes | type(None) | Enum):
                raise TypeError(f"new_row does not copy {model.__name__}.{name}'s mutable default")
            defaults[name] = field.default
    return defaults, factories


def _key_of(row: SQLModel) -> Any:
    key = inspect(type(row)).primary_key_from_instance(row)
    return key[0] if len(key) == 1 else tuple(key)


def called(model: type[SQLModel]) -> str:
    """What staff call a row of `model`: its `called`, or its name in words (match request)."""
    return getattr(model, "called", None) or re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()
