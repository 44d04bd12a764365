"""Follow-up: meetings, Denmark's four-in-six-months rule, and tasks raised by other agencies' events."""

from datetime import date, timedelta
from uuid import UUID

from shared.contracts.events.education import CourseCompleted, LevelAssessed, UnexplainedAbsenceAlert
from shared.contracts.events.employment import FollowUpHeld
from shared.errors import Invalid
from shared.runtime.worklist import Worklist, WorkTask

from ..models import Case, FollowUp, FollowUpCompliance, FollowUpCreate
from ..store import EmploymentStore
from .cases import open_case_of

ABSENCE_TASK_DAYS = 7
ABSENCE_ALERT = "absence_alert"


async def record_follow_up(store: EmploymentStore, newcomer_id: UUID, data: FollowUpCreate) -> FollowUp:
    case = await open_case_of(store, newcomer_id)
    if data.held_on < case.settled_on or data.held_on > date.today():
        raise Invalid("A follow-up is held between the settlement date and today.")
    follow_up = FollowUp(newcomer_id=newcomer_id, **data.model_dump())
    store.add(follow_up)
    store.emit(
        FollowUpHeld(newcomer_id=newcomer_id, follow_up_id=follow_up.id, kind=data.kind, held_on=data.held_on)
    )
    await Worklist(store).close(newcomer_id, ABSENCE_ALERT, None, "followed up")  # what the alerts asked
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


async def task_for_absence(store: EmploymentStore, event: UnexplainedAbsenceAlert) -> WorkTask | None:
    """Unexplained absence reported by the language school becomes a task on the job centre's worklist,
    due in a week; holding a follow-up with the newcomer closes it."""
    case = await store.get_case(event.newcomer_id)
    if case is None:
        return None
    return await Worklist(store).raise_task(
        newcomer_id=event.newcomer_id,
        municipality_code=case.municipality_code,
        kind=ABSENCE_ALERT,
        reference=f"{event.course_id}:{event.raised_on}",
        source=event.type,
        title=f"Unexplained absence in {event.unexplained} of {event.sessions} sessions "
        f"({event.unexplained_rate:.0%}) at the language school: follow up.",
        due_on=event.raised_on + timedelta(days=ABSENCE_TASK_DAYS),
    )


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
