"""Seats: enrol a learner in the next suitable course, or waitlist them; serve waitlists in order.

A course suits a learner in the same municipality, on the learner's track,
whose CEFR range includes the learner's level and which has not ended.
Among those with a free seat, the learner's own district comes first, then
the earliest start. Capacity is never exceeded.
"""

from datetime import UTC, date, datetime

from shared.contracts.events.education import LearnerEnrolled, LearnerWaitlisted

from ..models import Course, Enrolment, Learner, LearnerStatus
from ..store import EducationStore


async def place(store: EducationStore, learner: Learner, on: date) -> Course | None:
    """Enrols `learner` in the best course with a free seat, or puts them on the waiting list."""
    suitable = [
        c
        for c in await store.courses_in(learner.municipality_code, learner.track)
        if c.suits(learner.level, on)
    ]
    suitable.sort(key=lambda c: (c.district != learner.district, c.starts_on))
    for candidate in suitable:
        course = await store.get_course(candidate.id, for_update=True)
        if course is not None and await seats_left(store, course) > 0:
            await enrol(store, learner, course, on)
            return course
    reason = (
        f"all {len(suitable)} suitable {learner.track} course(s) are full"
        if suitable
        else f"no {learner.track} course for level {learner.level or 'A1'} in {learner.municipality_code}"
    )
    if learner.status is not LearnerStatus.WAITLISTED or learner.waitlist_reason != reason:
        learner.status = LearnerStatus.WAITLISTED
        learner.waitlisted_at = learner.waitlisted_at or datetime.now(UTC)
        learner.waitlist_reason = reason
        store.emit(
            LearnerWaitlisted(
                newcomer_id=learner.newcomer_id,
                municipality_code=learner.municipality_code,
                track=learner.track,
                reason=reason,
                waitlisted_on=on,
            )
        )
    return None


async def seats_left(store: EducationStore, course: Course) -> int:
    return course.capacity - (await store.enrolled_counts([course.id])).get(course.id, 0)


async def enrol(store: EducationStore, learner: Learner, course: Course, on: date) -> None:
    learner.status = LearnerStatus.ENROLLED
    learner.course_id = course.id
    learner.waitlisted_at = None
    learner.waitlist_reason = None
    await store.flush()  # the learner's row before the enrolment's, which refers to it
    store.add(Enrolment(newcomer_id=learner.newcomer_id, course_id=course.id, enrolled_on=on))
    store.emit(
        LearnerEnrolled(
            newcomer_id=learner.newcomer_id,
            course_id=course.id,
            track=course.track,
            municipality_code=course.municipality_code,
            course_starts_on=course.starts_on,
            enrolled_on=on,
        )
    )


async def leave_course(store: EducationStore, learner: Learner, on: date, reason: str) -> None:
    """Ends the learner's enrolment and gives the seat to the first waiting learner it suits."""
    enrolment = await store.open_enrolment(learner.newcomer_id)
    if enrolment is not None:
        enrolment.ended_on = on
        enrolment.end_reason = reason
    course_id, learner.course_id = learner.course_id, None
    await store.flush()
    if course_id is not None and (course := await store.get_course(course_id, for_update=True)) is not None:
        await serve_waitlist(store, course, on)


async def serve_waitlist(store: EducationStore, course: Course, on: date) -> int:
    """Fills `course`'s free seats from the waiting list, first come first served."""
    served = 0
    for learner in await store.waitlist(course.municipality_code, course.track):
        if await seats_left(store, course) <= 0:
            break
        if course.suits(learner.level, on):
            await enrol(store, learner, course, on)
            served += 1
    return served
