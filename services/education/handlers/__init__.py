"""Education use cases: seats, learners, progress and tracks."""

from .courses import create_course
from .learners import (
    close_learner_record,
    note_household,
    open_learner_record,
    transfer_learner,
)
from .privacy import erase_newcomer
from .progress import AbsencePolicy, assess, complete_course, record_session, withdraw
from .seats import place_in_course, seats_left
from .tracks import (
    back_from_placement,
    move_to_track,
    record_language_mentor,
    to_evening_track,
    to_work_integrated_track,
)

__all__ = [
    "AbsencePolicy",
    "assess",
    "back_from_placement",
    "close_learner_record",
    "complete_course",
    "create_course",
    "erase_newcomer",
    "move_to_track",
    "note_household",
    "open_learner_record",
    "place_in_course",
    "record_language_mentor",
    "record_session",
    "seats_left",
    "to_evening_track",
    "to_work_integrated_track",
    "transfer_learner",
    "withdraw",
]
