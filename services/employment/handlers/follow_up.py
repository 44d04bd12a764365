"""Follow-up: meetings, Denmark's four-in-six-months rule, and tasks raised by other agencies' events."""

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from shared.contracts.events.education import CourseCompleted, LevelAssessed, UnexplainedAbsenceAlert
from shared.contracts.events.employment import FollowUpHeld
from shared.errors import Conflict, Invalid

from ..models import (
    Case,
    FollowUp,
    FollowUpCompliance,
    FollowUpCreate,
    Task,
    TaskStatus,
)
from ..store import EmploymentStore
from .cases import open_case_of

ABSENCE_TASK_DAYS = 7


async def record_follow_up(store: EmploymentStore, newcomer_id: UUID, data: FollowUpCreate) -> FollowUp:
    case = await open_case_of(store, newcomer_id)
    if data.held_on < case.settled_on or data.held_on > date.today():
        raise Invalid("A follow-up is held between the settlement date and today.")
    follow_up = FollowUp(newcomer_id=newcomer_id, **data.model_dump())
    store.add(follow_up)
    store.emit(
        FollowUpHeld(newcomer_id=newcomer_id, follow_up_id=follow_up.id, kind=data.kind, held_on=data.held_on)
    )
    return follow_up


async def compliance(store: EmploymentStore, case: Case, on: date) -> FollowUpCompliance:
    """The follow-ups the rule set asked for when the case opened (Denmark: four within six months of the
    takeover), and how many were held by their due date."""
    required, start, due = case.follow_ups_required, case.follow_ups_from, case.follow_ups_due_on
    if required is None or start is None or due is None:
        return FollowUpCompliance(
            applies=False, required=0, held_in_window=0, window_ends_on=None, status="not_applicable"
        )
    held = await store.count_follow_ups(case.newcomer_id, case.settled_on, due)
    if held >= required:
        status = "met"
    elif on > due:
        status = "breached"
    else:
        # On track while the follow-ups held keep pace with the window elapsed.
        elapsed = max((on - start).days, 0) / max((due - start).days, 1)
        status = "on_track" if held >= int(elapsed * required) else "behind"
    return FollowUpCompliance(
        applies=True, required=required, held_in_window=held, window_ends_on=due, status=status
    )


async def task_for_absence(store: EmploymentStore, event: UnexplainedAbsenceAlert) -> Task | None:
    """Unexplained absence reported by the language school becomes a task for the case worker."""
    case = await store.get_case(event.newcomer_id)
    if case is None:
        return None
    task = Task(
        newcomer_id=event.newcomer_id,
        kind="unexplained_absence",
        description=f"Unexplained absence in {event.unexplained} of {event.sessions} sessions "
        f"({event.unexplained_rate:.0%}) at the language school: follow up.",
        due_on=event.raised_on + timedelta(days=ABSENCE_TASK_DAYS),
    )
    store.add(task)
    return task


async def complete_task(store: EmploymentStore, task_id: UUID) -> Task:
    task = await store.existing(Task, task_id)
    if task.status is TaskStatus.DONE:
        raise Conflict(f"Task {task_id} is done already.")
    task.status = TaskStatus.DONE
    task.done_at = datetime.now(UTC)
    return task


async def note_language_level(store: EmploymentStore, event: LevelAssessed) -> Case | None:
    case = await store.get_case(event.newcomer_id)
    if case is not None:
        case.language_level = event.overall_level
    return case


async def note_course_completed(store: EmploymentStore, event: CourseCompleted) -> Case | None:
    case = await store.get_case(event.newcomer_id)
    if case is not None:
        case.completed_course = True
        if event.overall_level is not None:
            case.language_level = event.overall_level
    return case
