"""Each agency's worklist: the tasks its staff owe newcomers, in the agency's own store.

A task is raised by an event (a statutory clock at risk or breached, a
registration gap, an absence alert, a request for a volunteer), at most one
per newcomer, kind and reference: raising it again updates it. Staff assign,
start and finish it; it closes itself when the event that shows the duty met
arrives (the coordination's `clock.resolved`, `registration-gap.closed`, a
follow-up after an absence alert, a match). Each change is kept in its short
history. Tasks carry dates, codes and the system's own sentences, never what
staff wrote about the person.
"""

from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID, uuid4

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel, col, select

from shared.contracts.events import Event, TaskChanged, education, employment, settlement, volunteering
from shared.contracts.events.settlement import (
    ClockAtRisk,
    ClockBreached,
    ClockResolved,
    RegistrationGapClosed,
    RegistrationGapFound,
)
from shared.errors import Conflict, NotFound
from shared.runtime.store import Store

SERVICE = "samvirke"  # the actor of what the service does by itself


def _now() -> datetime:
    return datetime.now(UTC)


class WorkTaskStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"


ACTIVE = (WorkTaskStatus.OPEN, WorkTaskStatus.IN_PROGRESS)


class WorkTask(SQLModel, table=True):
    __tablename__ = "worklist_task"
    __table_args__ = (UniqueConstraint("newcomer_id", "kind", "reference"),)
    called: ClassVar[str] = "task"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    newcomer_id: UUID = Field(index=True)
    municipality_code: str = Field(max_length=4, index=True)
    kind: str = Field(max_length=80)  # e.g. "clock", "gap.no_learner_record", "absence_alert"
    reference: str = Field(max_length=120)  # which one: the clock's rule, the gap's record, the alert's id
    source: str = Field(max_length=120)  # the event type that raised it
    title: str = Field(max_length=300)
    due_on: date | None = Field(default=None, index=True)
    status: WorkTaskStatus = Field(default=WorkTaskStatus.OPEN, index=True)
    assignee: str | None = Field(default=None, max_length=255, index=True)  # a staff member's `sub`
    raised_at: datetime = Field(default_factory=_now)
    closed_at: datetime | None = None
    closed_by: str | None = Field(default=None, max_length=255)  # a staff member, or the service


class TaskChange(SQLModel, table=True):
    __tablename__ = "worklist_history"

    id: int | None = Field(default=None, primary_key=True)
    task_id: UUID = Field(index=True)  # its task's (no foreign key: written in any order, erased together)
    at: datetime = Field(default_factory=_now)
    actor: str = Field(max_length=255)
    action: str = Field(max_length=40)  # raised, updated, assigned, started, done, closed, reopened
    detail: str | None = Field(default=None, max_length=300)


class TaskChangePublic(SQLModel):
    at: datetime
    actor: str
    action: str
    detail: str | None


class WorkTaskPublic(SQLModel):
    id: UUID
    newcomer_id: UUID
    municipality_code: str
    kind: str
    reference: str
    source: str
    title: str
    due_on: date | None
    status: WorkTaskStatus
    assignee: str | None
    raised_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    history: list[TaskChangePublic]


class Assignment(SQLModel):
    assignee: str = Field(min_length=1, max_length=255, description='A staff member\'s `sub`, or "me"')


TABLES = (WorkTask.__table__, TaskChange.__table__)  # type: ignore[attr-defined]

# Each agency's own event for a change on its worklist, by the last part of its stores' source.
TASK_CHANGED: dict[str, type[TaskChanged]] = {
    "settlement": settlement.SettlementTaskChanged,
    "education": education.EducationTaskChanged,
    "employment": employment.EmploymentTaskChanged,
    "volunteering": volunteering.VolunteeringTaskChanged,
}


class Worklist:
    """The worklist's rows, through a service's store (its session and its scope)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.announce = TASK_CHANGED[store.source.rsplit("/", 1)[-1]]

    async def raise_task(
        self,
        *,
        newcomer_id: UUID,
        municipality_code: str,
        kind: str,
        reference: str,
        source: str,
        title: str,
        due_on: date | None,
        new: bool = False,
    ) -> WorkTask:
        """Opens the task, or updates the one already raised (reopened if it was closed); `new` where the
        reference was made in this transaction, so no task can have it yet."""
        task = None if new else await self.find(newcomer_id, kind, reference)
        if task is None:
            task = WorkTask(
                newcomer_id=newcomer_id,
                municipality_code=municipality_code,
                kind=kind,
                reference=reference,
                source=source,
                title=title,
                due_on=due_on,
            )
            self.store.add_row(task)
            self._announce(task)  # its history begins with the task itself (`raised_at`): no row for it
            return task
        changed = (task.title, task.due_on, task.source) != (title, due_on, source)
        task.title, task.due_on, task.source = title, due_on, source
        task.municipality_code = municipality_code
        if task.status is WorkTaskStatus.DONE:
            task.status, task.closed_at, task.closed_by = WorkTaskStatus.OPEN, None, None
            self._note(task, SERVICE, "reopened", title)
        elif changed:
            self._note(task, SERVICE, "updated", title)
        return task

    async def close(self, newcomer_id: UUID, kind: str, reference: str | None, why: str) -> list[WorkTask]:
        """Closes the newcomer's active tasks of `kind` (and `reference`, if given): the duty is met."""
        query = select(WorkTask).where(
            WorkTask.newcomer_id == newcomer_id, WorkTask.kind == kind, col(WorkTask.status).in_(ACTIVE)
        )
        if reference is not None:
            query = query.where(WorkTask.reference == reference)
        tasks = list((await self.store.session.exec(query)).all())
        for task in tasks:
            self._finish(task, SERVICE, "closed", why)
        return tasks

    async def find(self, newcomer_id: UUID, kind: str, reference: str) -> WorkTask | None:
        query = select(WorkTask).where(
            WorkTask.newcomer_id == newcomer_id, WorkTask.kind == kind, WorkTask.reference == reference
        )
        return (await self.store.session.exec(query)).first()

    async def tasks(
        self,
        *,
        assignee: str | None,
        unassigned: bool,
        due_before: date | None,
        statuses: Collection[WorkTaskStatus],
        newcomer_id: UUID | None,
        limit: int,
        offset: int,
    ) -> tuple[list[WorkTask], int]:
        query = self.store.scoped(select(WorkTask), WorkTask)
        if assignee is not None:
            query = query.where(WorkTask.assignee == assignee)
        if unassigned:
            query = query.where(col(WorkTask.assignee).is_(None))
        if due_before is not None:
            query = query.where(col(WorkTask.due_on) < due_before)
        if statuses:
            query = query.where(col(WorkTask.status).in_(statuses))
        if newcomer_id is not None:
            query = query.where(WorkTask.newcomer_id == newcomer_id)
        due = col(WorkTask.due_on)
        order = (due.is_(None), due, col(WorkTask.raised_at), col(WorkTask.id))
        return await self.store.page(query, *order, limit=limit, offset=offset)

    async def history(self, task_ids: Collection[UUID]) -> dict[UUID, list[TaskChange]]:
        found: dict[UUID, list[TaskChange]] = {task_id: [] for task_id in task_ids}
        if task_ids:
            query = select(TaskChange).where(col(TaskChange.task_id).in_(task_ids))
            for change in (await self.store.session.exec(query.order_by(col(TaskChange.id)))).all():
                found[change.task_id].append(change)
        return found

    async def public(self, tasks: list[WorkTask]) -> list[WorkTaskPublic]:
        await self.store.flush()  # the changes of this request, in the history shown
        history = await self.history([task.id for task in tasks])
        return [
            WorkTaskPublic(
                **task.model_dump(),
                history=[
                    TaskChangePublic(at=task.raised_at, actor=SERVICE, action="raised", detail=None),
                    *(TaskChangePublic.model_validate(c, from_attributes=True) for c in history[task.id]),
                ],
            )
            for task in tasks
        ]

    # staff

    async def assign(self, task_id: UUID, assignee: str, actor: str) -> WorkTask:
        task = await self._active(task_id)
        task.assignee = assignee
        self._note(task, actor, "assigned", assignee)
        return task

    async def start(self, task_id: UUID, actor: str) -> WorkTask:
        task = await self._active(task_id)
        if task.status is WorkTaskStatus.IN_PROGRESS:
            raise Conflict(f"Task {task_id} is in progress already.")
        task.status = WorkTaskStatus.IN_PROGRESS
        task.assignee = task.assignee or actor
        self._note(task, actor, "started", None)
        return task

    async def done(self, task_id: UUID, actor: str) -> WorkTask:
        task = await self._active(task_id)
        self._finish(task, actor, "done", None)
        return task

    async def _active(self, task_id: UUID) -> WorkTask:
        task = await self.store.find(WorkTask, task_id, for_update=True)
        if task is None:
            raise NotFound("task", task_id)
        if task.status is WorkTaskStatus.DONE:
            raise Conflict(f"Task {task_id} is done already ({task.closed_by}, {task.closed_at:%Y-%m-%d}).")
        return task

    def _finish(self, task: WorkTask, actor: str, action: str, detail: str | None) -> None:
        task.status, task.closed_at, task.closed_by = WorkTaskStatus.DONE, _now(), actor
        self._note(task, actor, action, detail)

    def _note(self, task: WorkTask, actor: str, action: str, detail: str | None) -> None:
        """Keeps the change in the task's history and tells the coordination."""
        self.store.session.add(TaskChange(task_id=task.id, actor=actor, action=action, detail=detail))
        self._announce(task)

    def _announce(self, task: WorkTask) -> None:
        """The agency's `task.changed` event: the task's kind, status and dates, no title, no names."""
        self.store.emit(
            self.announce(
                newcomer_id=task.newcomer_id,
                task_id=task.id,
                kind=task.kind,
                reference=task.reference,
                status=task.status,
                due_on=task.due_on,
                assigned=task.assignee is not None,
                changed_on=date.today(),
            )
        )


# What the coordination publishes about the agencies' duties; each agency takes what names it.
COORDINATION: tuple[type[Event], ...] = (
    ClockAtRisk,
    ClockBreached,
    ClockResolved,
    RegistrationGapFound,
    RegistrationGapClosed,
)
CLOCK, GAP = "clock", "gap"


async def follow_coordination(store: Store, event: Event, agency: str) -> None:
    """A clock at risk or breached, or a gap, that names `agency` becomes a task on its worklist; the
    clock resolved or the gap closed closes it."""
    if getattr(event, "agency", None) != agency:
        return
    tasks = Worklist(store)
    match event:
        case ClockAtRisk():
            await tasks.raise_task(
                newcomer_id=event.newcomer_id,
                municipality_code=event.municipality_code,
                kind=CLOCK,
                reference=event.rule_id,
                source=event.type,
                title=f"{event.title or event.rule_id}: due {event.due_on}, at the latest {event.limit_on}.",
                due_on=event.due_on,
            )
        case ClockBreached():
            await tasks.raise_task(
                newcomer_id=event.newcomer_id,
                municipality_code=event.municipality_code,
                kind=CLOCK,
                reference=event.rule_id,
                source=event.type,
                title=f"{event.title or event.rule_id}: breached on {event.breached_on}.",
                due_on=event.due_on,
            )
        case ClockResolved():
            await tasks.close(event.newcomer_id, CLOCK, event.rule_id, f"the clock is {event.outcome}")
        case RegistrationGapFound():
            await tasks.raise_task(
                newcomer_id=event.newcomer_id,
                municipality_code=event.municipality_code,
                kind=GAP,
                reference=f"{event.kind}:{event.reference}"[:120],
                source=event.type,
                title=event.detail[:300],
                due_on=event.found_on,
            )
        case RegistrationGapClosed():
            await tasks.close(
                event.newcomer_id, GAP, f"{event.kind}:{event.reference}"[:120], "the gap closed"
            )


def coordination_tasks(
    make_store: Callable[[Any], Store], agency: str
) -> dict[type[Event], Callable[[Any, Event], Awaitable[None]]]:
    """The consumer handlers (on the inbox's session) that keep `agency`'s worklist from the coordination."""

    async def handle(session: Any, event: Event) -> None:
        await follow_coordination(make_store(session), event, agency)

    return {event: handle for event in COORDINATION}
