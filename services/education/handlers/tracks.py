"""Track changes from the job centre and volunteers: learning the language through work."""

from datetime import date
from uuid import UUID

from shared.contracts.events.education import Track, TrackChanged
from shared.contracts.events.employment import EmploymentStarted, PlacementEnded, PlacementStarted
from shared.contracts.events.volunteering import LanguageMentorMatched
from shared.errors import Conflict

from ..models import Learner, TrackMove
from ..store import EducationStore
from .seats import ACTIVE, leave_course, place


async def to_work_integrated_track(store: EducationStore, event: PlacementStarted) -> Learner | None:
    """A placement where the newcomer learns the language through the work moves the learner
    to the work-integrated track (Lillehammer model); other placements leave the course as it is."""
    learner = await _active(store, event.newcomer_id)
    if learner is None or not event.language_learning_at_work:
        return learner
    learner.placement_id = event.placement_id
    await _change_track(
        store, learner, Track.WORK_INTEGRATED, event.starts_on, f"placement {event.placement_id} started"
    )
    return learner


async def back_from_placement(store: EducationStore, event: PlacementEnded) -> Learner | None:
    learner = await _active(store, event.newcomer_id)
    if learner is None or learner.placement_id != event.placement_id:
        return learner
    learner.placement_id = None
    await _change_track(
        store, learner, Track.CLASSROOM, event.ended_on, f"placement {event.placement_id} ended"
    )
    return learner


async def to_evening_track(store: EducationStore, event: EmploymentStarted) -> Learner | None:
    """A job leaves the evenings for language training."""
    learner = await _active(store, event.newcomer_id)
    if learner is None:
        return None
    learner.placement_id = None
    await _change_track(store, learner, Track.EVENING, event.started_on, "employment started")
    return learner


async def move_to_track(store: EducationStore, newcomer_id: UUID, data: TrackMove) -> Learner:
    """Staff move a learner to another track: they leave their course (its seat goes to the waiting
    list) and get the best seat on the new track, or a place on its waiting list."""
    learner = await store.existing(Learner, newcomer_id)
    if learner.status not in ACTIVE:
        raise Conflict(f"Newcomer {newcomer_id} is {learner.status}; only waiting or enrolled learners move.")
    if learner.track is data.track:
        raise Conflict(f"Newcomer {newcomer_id} is already on the {data.track} track.")
    await _change_track(store, learner, data.track, data.moved_on, "moved by the language school")
    return learner


async def record_language_mentor(store: EducationStore, event: LanguageMentorMatched) -> Learner | None:
    learner = await store.get_learner(event.newcomer_id)
    if learner is not None:
        learner.language_mentor_match_id = event.match_id
    return learner


async def _change_track(store: EducationStore, learner: Learner, track: Track, on: date, reason: str) -> None:
    if learner.track is track:
        return
    previous = learner.track
    await leave_course(store, learner, on, f"track changed to {track}")
    learner.track = track
    learner.waitlisted_at = None
    course = await place(store, learner, on)
    store.emit(
        TrackChanged(
            newcomer_id=learner.newcomer_id,
            from_track=previous,
            to_track=track,
            course_id=course.id if course else None,
            reason=reason,
        )
    )


async def _active(store: EducationStore, newcomer_id: UUID) -> Learner | None:
    learner = await store.get_learner(newcomer_id)
    return learner if learner is not None and learner.status in ACTIVE else None
