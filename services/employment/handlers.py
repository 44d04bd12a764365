"""Employment use cases."""

from shared.events.employment import CaseOpened
from shared.events.settlement import AgeGroup, NewcomerSettled

from .models import Case, add_months
from .store import EmploymentStore


async def open_case(
    store: EmploymentStore, event: NewcomerSettled, *, mapping_within_months: int
) -> Case | None:
    """A settled adult gets a case, with competence mapping due within the statutory months."""
    if event.age_group is not AgeGroup.ADULT:
        return None
    if await store.get_case(event.newcomer_id) is not None:
        return None
    case = Case(
        newcomer_id=event.newcomer_id,
        municipality_code=event.municipality_code,
        settled_on=event.settled_on,
        competence_mapping_due_on=add_months(event.settled_on, mapping_within_months),
    )
    store.add_case(case)
    store.emit(
        CaseOpened(
            newcomer_id=event.newcomer_id,
            municipality_code=event.municipality_code,
            opened_on=case.opened_at.date(),
            competence_mapping_due_on=case.competence_mapping_due_on,
        )
    )
    return case
