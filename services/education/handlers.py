"""Education use cases."""

from shared.events.education import LearnerRecordOpened
from shared.events.settlement import AgeGroup, NewcomerSettled

from .models import Learner
from .store import EducationStore


async def open_learner_record(store: EducationStore, event: NewcomerSettled) -> Learner | None:
    """A settled adult gets a learner record; children go to school, not the language school."""
    if event.age_group is not AgeGroup.ADULT:
        return None
    if await store.get_learner(event.newcomer_id) is not None:
        return None
    learner = Learner(
        newcomer_id=event.newcomer_id,
        municipality_code=event.municipality_code,
        district=event.district,
        settled_on=event.settled_on,
    )
    store.add_learner(learner)
    store.emit(
        LearnerRecordOpened(
            newcomer_id=event.newcomer_id,
            municipality_code=event.municipality_code,
            opened_on=learner.opened_at.date(),
        )
    )
    return learner
