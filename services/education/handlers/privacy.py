"""The language school's part of an erasure."""

from shared.contracts.events.education import EducationErased
from shared.contracts.events.settlement import ErasureRequested
from shared.domain.contacts import Contact
from shared.domain.erasure import erase_and_answer

from ..models import Enrolment, Learner
from ..store import EducationStore


async def erase_newcomer(store: EducationStore, event: ErasureRequested) -> None:
    """The name and contact go; the learner's course, levels and attendance stay, tied to no one."""
    await erase_and_answer(
        store,
        event,
        EducationErased,
        delete=[Contact],
        clear={Learner: ("end_reason",), Enrolment: ("end_reason",)},
    )
