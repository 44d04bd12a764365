"""Volunteering use cases: intake by consent, matching, follow-through, erasure."""

from .matching import (
    accept,
    activate,
    end,
    log_hours,
    on_placement_ended,
    propose,
    rank,
)
from .organisations import create_organisation, record_activity, register_volunteer
from .privacy import (
    erase,
    forget_contact,
    keep_volunteer_contact,
    note_consent,
    on_departure,
    on_erasure_requested,
    on_relocation,
    on_withdrawal,
    privacy_report,
)
from .requests import consents, on_household_member, on_mentor_requested, on_settled, open_request

__all__ = [
    "accept",
    "activate",
    "consents",
    "create_organisation",
    "end",
    "erase",
    "forget_contact",
    "keep_volunteer_contact",
    "log_hours",
    "note_consent",
    "on_departure",
    "on_erasure_requested",
    "on_household_member",
    "on_mentor_requested",
    "on_placement_ended",
    "on_relocation",
    "on_settled",
    "on_withdrawal",
    "open_request",
    "privacy_report",
    "propose",
    "rank",
    "record_activity",
    "register_volunteer",
]
