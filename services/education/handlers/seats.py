"""Seats: enrol a learner in the next suitable course, or waitlist them; serve waitlists in order.

A course suits a learner in the same municipality, on the learner's track,
whose CEFR range includes the learner's level and which has not ended.
Among those with a free seat, the learner's own district comes first, then
the earliest start. Capacity is never exceeded.
"""

from datetime import UTC, date, datetime
from uuid import UUID

from shared.contracts.events.education import LearnerEnrolled, LearnerWaitlisted, TrackChanged
from shared.errors import Conflict

from ..models import Course, CoursePlacement, Enrolment, Learner, LearnerStatus
from ..store import EducationStore

ACTIVE = (LearnerStatus.WAITLISTED, LearnerStatus.ENROLLED)


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


async def place_in_course(store: EducationStore, newcomer_id: UUID, data: CoursePlacement) -> Learner:
    """Staff place a waiting or enrolled learner in the course they chose, under the rules automatic
    enrolment keeps: the learner's municipality, a level in the course's range, a course not ended, a
    free seat, and nobody who waited longer for that seat passed over. A learner moved from another
    course leaves it, and its seat goes to the first waiting learner it suits."""
    learner = await store.existing(Learner, newcomer_id)
    if learner.status not in ACTIVE:
        raise Conflict(
            f"Newcomer {newcomer_id} is {learner.status}; only waiting or enrolled learners are placed."
        )
    course = await store.existing(Course, data.course_id, for_update=True)
    on = data.placed_on
    if learner.course_id == course.id:
        raise Conflict(f"Newcomer {newcomer_id} is already enrolled in course {course.id}.")
    if course.municipality_code != learner.municipality_code:
        raise Conflict(
            f"Course {course.id} is in {course.municipality_code}; the learner lives in "
            f"{learner.municipality_code}."
        )
    if course.ends_on < on:
        raise Conflict(f"Course {course.id} ended on {course.ends_on}.")
    if not course.suits(learner.level, on):
        raise Conflict(
            f"Course {course.id} teaches {course.level_from}–{course.level_to}; the learner's level is "
            f"{learner.level or 'A1 (not assessed)'}."
        )
    if (left := await seats_left(store, course)) <= 0:
        raise Conflict(f"Course {course.id} is full ({course.capacity} seats).")
    ahead = [w for w in await store.waitlist(course.municipality_code, course.track) if _before(w, learner)]
    if waiting := [w for w in ahead if course.suits(w.level, on)][:left]:
        raise Conflict(
            f"{len(waiting)} learner(s) waited longer for a seat in course {course.id}; its free seats "
            "go to them first."
        )
    if learner.status is LearnerStatus.ENROLLED:
        await leave_course(store, learner, on, f"moved to course {course.id}")
    if learner.track is not course.track:
        previous, learner.track = learner.track, course.track
        store.emit(
            TrackChanged(
                newcomer_id=newcomer_id,
                from_track=previous,
                to_track=course.track,
                course_id=course.id,
                reason="placed in a course by the language school",
            )
        )
    await enrol(store, learner, course, on)
    return learner


def _before(waiting: Learner, learner: Learner) -> bool:
    """Whether `waiting` is ahead of `learner` in the queue; anyone waiting is ahead of an enrolled one."""
    if waiting.newcomer_id == learner.newcomer_id:
        return False
    if learner.status is not LearnerStatus.WAITLISTED or learner.waitlisted_at is None:
        return True
    mine = (learner.waitlisted_at, str(learner.newcomer_id))
    return (waiting.waitlisted_at, str(waiting.newcomer_id)) < mine


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
