"""Assessments, attendance with reasons, completion and withdrawal."""

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from shared.contracts.events.education import CourseCompleted, LevelAssessed, UnexplainedAbsenceAlert
from shared.contracts.events.settlement import CefrLevel
from shared.errors import Conflict, Invalid

from ..models import (
    CEFR_ORDER,
    Assessment,
    AssessmentCreate,
    Attendance,
    AttendanceMark,
    Completion,
    Course,
    Learner,
    LearnerStatus,
    Withdrawal,
    level_rank,
)
from ..store import EducationStore
from .learners import end
from .seats import ACTIVE, leave_course


@dataclass(frozen=True)
class AbsencePolicy:
    """Unexplained absence in `threshold` or more of at least `min_sessions` sessions alerts."""

    threshold: float
    min_sessions: int


async def assess(store: EducationStore, newcomer_id: UUID, data: AssessmentCreate) -> Learner:
    learner = await store.existing(Learner, newcomer_id)
    store.add(Assessment(newcomer_id=newcomer_id, **data.model_dump()))
    await store.flush()
    levels = await store.latest_levels(newcomer_id)
    # The level reached in every skill tested so far.
    overall = CEFR_ORDER[min(level_rank(level) for level in levels.values())]
    learner.level = overall
    store.emit(
        LevelAssessed(
            newcomer_id=newcomer_id,
            skill=data.skill,
            level=data.level,
            tested_on=data.tested_on,
            overall_level=overall,
        )
    )
    return learner


async def record_session(
    store: EducationStore,
    course_id: UUID,
    session_on: date,
    marks: list[AttendanceMark],
    policy: AbsencePolicy,
) -> int:
    """Records a session's register (a repeated mark corrects the earlier one); returns alerts raised."""
    course = await store.existing(Course, course_id)
    if not course.starts_on <= session_on <= course.ends_on:
        raise Invalid(
            f"The course runs {course.starts_on} to {course.ends_on}; there is no session on {session_on}."
        )
    if len({m.newcomer_id for m in marks}) != len(marks):
        raise Invalid("Each learner appears once in a session's register.")
    learners = []
    for mark in marks:
        learner = await store.existing(Learner, mark.newcomer_id)
        if learner.course_id != course_id:
            raise Conflict(f"Newcomer {mark.newcomer_id} is not enrolled in course {course_id}.")
        existing = await store.get_attendance(mark.newcomer_id, course_id, session_on)
        if existing is None:
            store.add(
                Attendance(
                    newcomer_id=mark.newcomer_id,
                    course_id=course_id,
                    session_on=session_on,
                    status=mark.status,
                )
            )
        else:
            existing.status = mark.status
        learners.append(learner)
    await store.flush()
    return sum([await _check_absence(store, learner, course_id, session_on, policy) for learner in learners])


async def _check_absence(
    store: EducationStore, learner: Learner, course_id: UUID, on: date, policy: AbsencePolicy
) -> bool:
    [rate] = await store.absence_rates(course_id=course_id, newcomer_id=learner.newcomer_id)
    above = rate.sessions >= policy.min_sessions and rate.unexplained_rate >= policy.threshold
    if above and not learner.absence_alerted:
        learner.absence_alerted = True
        store.emit(
            UnexplainedAbsenceAlert(
                newcomer_id=learner.newcomer_id,
                course_id=course_id,
                sessions=rate.sessions,
                unexplained=rate.unexplained,
                unexplained_rate=rate.unexplained_rate,
                threshold=policy.threshold,
                raised_on=on,
            )
        )
        return True
    if not above:
        learner.absence_alerted = False  # a later crossing alerts again
    return False


async def complete_course(store: EducationStore, newcomer_id: UUID, data: Completion) -> Learner:
    learner = await store.existing(Learner, newcomer_id)
    if learner.status is not LearnerStatus.ENROLLED or learner.course_id is None:
        raise Conflict(
            f"Newcomer {newcomer_id} is {learner.status}; only enrolled learners complete a course."
        )
    course_id = learner.course_id
    await leave_course(store, learner, data.completed_on, "completed")
    learner.status = LearnerStatus.COMPLETED
    learner.end_reason = "completed"
    store.emit(
        CourseCompleted(
            newcomer_id=newcomer_id,
            course_id=course_id,
            completed_on=data.completed_on,
            overall_level=CefrLevel(learner.level) if learner.level else None,
        )
    )
    return learner


async def withdraw(store: EducationStore, newcomer_id: UUID, data: Withdrawal) -> Learner:
    learner = await store.existing(Learner, newcomer_id)
    if learner.status not in ACTIVE:
        raise Conflict(
            f"Newcomer {newcomer_id} is {learner.status}; only waiting or enrolled learners withdraw."
        )
    await end(store, learner, data.reason, data.note, data.withdrawn_on)
    return learner
