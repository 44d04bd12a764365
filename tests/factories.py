"""Events as an agency publishes them, for tests and benchmarks: defaults, and overrides where it matters."""

from datetime import date
from typing import Any
from uuid import uuid4

from shared.contracts.events.education import UnexplainedAbsenceAlert
from shared.contracts.events.employment import CaseOpened, LanguageMentorRequested
from shared.contracts.events.settlement import AgeGroup, HandoverCompleted, NewcomerSettled


def settled(**overrides: Any) -> NewcomerSettled:
    """An adult settled in Oslo (Alna) on 1 March 2026 who consented to volunteer contact."""
    values: dict[str, Any] = {
        "newcomer_id": uuid4(),
        "municipality_code": "0301",
        "district": "Alna",
        "settled_on": date(2026, 3, 1),
        "age_group": AgeGroup.ADULT,
        "volunteer_contact_consent": True,
    }
    return NewcomerSettled(**(values | overrides))


def moved(**overrides: Any) -> HandoverCompleted:
    """A handover from Oslo to Lillehammer (Sentrum) completed today."""
    values: dict[str, Any] = {
        "newcomer_id": uuid4(),
        "handover_id": uuid4(),
        "from_municipality_code": "0301",
        "to_municipality_code": "3405",
        "to_district": "Sentrum",
        "completed_on": date.today(),
    }
    return HandoverCompleted(**(values | overrides))


def absence_alert(**overrides: Any) -> UnexplainedAbsenceAlert:
    """The language school's alert: 3 of 10 sessions missed without a reason, over the 20% threshold."""
    values: dict[str, Any] = {
        "newcomer_id": uuid4(),
        "course_id": uuid4(),
        "sessions": 10,
        "unexplained": 3,
        "unexplained_rate": 0.3,
        "threshold": 0.2,
        "raised_on": date.today(),
    }
    return UnexplainedAbsenceAlert(**(values | overrides))


def case_opened(**overrides: Any) -> CaseOpened:
    """A job-centre case opened in Oslo on 2 November 2026, competence mapping due three months on."""
    values: dict[str, Any] = {
        "newcomer_id": uuid4(),
        "municipality_code": "0301",
        "opened_on": date(2026, 11, 2),
        "competence_mapping_due_on": date(2027, 2, 2),
    }
    return CaseOpened(**(values | overrides))


def mentor_requested(**overrides: Any) -> LanguageMentorRequested:
    """The job centre asks for a Tigrinya-speaking language mentor for a nursing placement (5322) today."""
    values: dict[str, Any] = {
        "newcomer_id": uuid4(),
        "placement_id": uuid4(),
        "request_id": uuid4(),
        "occupation_code": "5322",
        "municipality_code": "0301",
        "languages": ["ti"],
        "requested_on": date.today(),
    }
    return LanguageMentorRequested(**(values | overrides))
