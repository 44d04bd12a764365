"""Settlement use cases, one module per part of the refugee office's work."""

from .access import access_log, keep_access_record
from .erasure import erasure_status, keep_erasure_proof, request_erasure
from .handover import accept_handover, complete_handover, reject_handover, request_handover, revoke_handover
from .households import add_household_member, create_household
from .register import (
    create_municipality,
    give_consent,
    register_newcomer,
    set_quota,
    update_newcomer,
    withdraw_consent,
)
from .settle import (
    agree_integration_plan,
    depart,
    district_report,
    offer_health_assessment,
    quota_report,
    record_legal_dates,
    settle_newcomer,
)

__all__ = [
    "accept_handover",
    "access_log",
    "add_household_member",
    "agree_integration_plan",
    "complete_handover",
    "create_household",
    "create_municipality",
    "depart",
    "district_report",
    "erasure_status",
    "give_consent",
    "keep_access_record",
    "keep_erasure_proof",
    "offer_health_assessment",
    "quota_report",
    "record_legal_dates",
    "register_newcomer",
    "reject_handover",
    "request_erasure",
    "request_handover",
    "revoke_handover",
    "set_quota",
    "settle_newcomer",
    "update_newcomer",
    "withdraw_consent",
]
