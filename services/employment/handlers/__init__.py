"""Job-centre use cases: cases, mapping and plans, placements, follow-up."""

from .cases import close_case, close_on_departure, open_case, record_outcome, transfer_case
from .follow_up import (
    compliance,
    note_course_completed,
    note_language_level,
    record_follow_up,
    task_for_absence,
)
from .mapping import agree_job_plan, complete_mapping
from .placements import (
    end_placement,
    record_language_mentor,
    register_employer,
    request_language_mentor,
    start_placement,
)
from .privacy import erase_newcomer

__all__ = [
    "agree_job_plan",
    "close_case",
    "close_on_departure",
    "complete_mapping",
    "compliance",
    "end_placement",
    "erase_newcomer",
    "note_course_completed",
    "note_language_level",
    "open_case",
    "record_follow_up",
    "record_language_mentor",
    "record_outcome",
    "register_employer",
    "request_language_mentor",
    "start_placement",
    "task_for_absence",
    "transfer_case",
]
