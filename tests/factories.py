"""Events as an agency publishes them, for tests and benchmarks: defaults, and overrides where it matters."""

from datetime import date
from typing import Any
from uuid import uuid4

from shared.contracts.events.employment import CaseOpened, LanguageMentorRequested
from shared.contracts.events.settlement import AgeGroup, NewcomerSettled


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
