"""Other agencies' events this service acts on, each routed to its use case."""

from typing import Any

from shared.contracts.agencies import Agency
from shared.contracts.events.employment import EmploymentStarted, PlacementEnded, PlacementStarted
from shared.contracts.events.settlement import (
    ErasureRequested,
    HandoverCompleted,
    HouseholdMemberAdded,
    NewcomerDeparted,
    NewcomerSettled,
    PersonalDetails,
)
from shared.contracts.events.volunteering import LanguageMentorMatched
from shared.domain.contacts import Contact, forget_contact, keep_contact
from shared.runtime.routing import Forget, Handler, loading_for_newcomers, on_store
from shared.runtime.worklist import coordination_tasks

from . import handlers
from .models import Learner
from .store import EducationStore

CONSUMES: dict[type[Any], Handler] = {
    NewcomerSettled: on_store(EducationStore, handlers.open_learner_record),
    HouseholdMemberAdded: on_store(EducationStore, handlers.note_household),
    HandoverCompleted: on_store(EducationStore, handlers.transfer_learner),
    NewcomerDeparted: on_store(EducationStore, handlers.close_learner_record),
    PersonalDetails: keep_contact,
    ErasureRequested: on_store(EducationStore, handlers.erase_newcomer),
    PlacementStarted: on_store(EducationStore, handlers.to_work_integrated_track),
    PlacementEnded: on_store(EducationStore, handlers.back_from_placement),
    EmploymentStarted: on_store(EducationStore, handlers.to_evening_track),
    LanguageMentorMatched: on_store(EducationStore, handlers.record_language_mentor),
    # the coordination's clocks and gaps that name the language school: its worklist
    **coordination_tasks(EducationStore, Agency.EDUCATION),
}

FORGETS: dict[type[Any], Forget] = {PersonalDetails: forget_contact}

# A batch's learners and contacts, loaded at once: applying each event then queries nothing for them.
prepare = loading_for_newcomers(EducationStore, Learner, Contact)
