"""Other agencies' events this service acts on, each routed to its use case."""

from functools import partial
from typing import Any

from shared.contracts.agencies import Agency
from shared.contracts.events.education import CourseCompleted, LevelAssessed, UnexplainedAbsenceAlert
from shared.contracts.events.settlement import (
    ErasureRequested,
    HandoverCompleted,
    NewcomerDeparted,
    NewcomerSettled,
    PersonalDetails,
)
from shared.contracts.events.volunteering import LanguageMentorMatched
from shared.domain.contacts import Contact, forget_contact, keep_contact
from shared.domain.statutory import BUILT_IN, load_rule_sets
from shared.runtime.routing import Forget, Handler, loading_for_newcomers, on_store
from shared.runtime.worklist import coordination_tasks

from . import handlers
from .config import EmploymentSettings
from .models import Case
from .store import EmploymentStore


def consumes(settings: EmploymentSettings) -> dict[type[Any], Handler]:
    # The job centre's duties (competence mapping, follow-ups) come from the same rule sets as the clocks.
    open_case = partial(
        handlers.open_case, rule_sets=load_rule_sets(settings.statutory_rules_dir or BUILT_IN)
    )
    return {
        NewcomerSettled: on_store(EmploymentStore, open_case),
        HandoverCompleted: on_store(EmploymentStore, handlers.transfer_case),
        NewcomerDeparted: on_store(EmploymentStore, handlers.close_on_departure),
        PersonalDetails: keep_contact,
        ErasureRequested: on_store(EmploymentStore, handlers.erase_newcomer),
        LevelAssessed: on_store(EmploymentStore, handlers.note_language_level),
        UnexplainedAbsenceAlert: on_store(EmploymentStore, handlers.task_for_absence),
        CourseCompleted: on_store(EmploymentStore, handlers.note_course_completed),
        LanguageMentorMatched: on_store(EmploymentStore, handlers.record_language_mentor),
        # the coordination's clocks and gaps that name the job centre: its worklist
        **coordination_tasks(EmploymentStore, Agency.EMPLOYMENT),
    }


FORGETS: dict[type[Any], Forget] = {PersonalDetails: forget_contact}

# A batch's cases and contacts, loaded at once: applying each event then queries nothing for them.
prepare = loading_for_newcomers(EmploymentStore, Case, Contact)
