"""Events as an agency publishes them, for tests and benchmarks: defaults, and overrides where it matters."""

from datetime import date
from typing import Any
from uuid import uuid4

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
