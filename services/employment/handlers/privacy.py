"""The job centre's part of an erasure."""

from shared.contracts.events.employment import EmploymentErased
from shared.contracts.events.settlement import ErasureRequested
from shared.domain.contacts import Contact
from shared.domain.erasure import erase_and_answer

from ..models import Case, FollowUp, Placement
from ..store import EmploymentStore


async def erase_newcomer(store: EmploymentStore, event: ErasureRequested) -> None:
    """The name and contact go, and staff's notes about the person; the case's codes and dates stay."""
    await erase_and_answer(
        store,
        event,
        EmploymentErased,
        delete=[Contact],
        clear={Case: ("end_note",), Placement: ("end_reason",), FollowUp: ("note",)},
    )
