"""Cases: opened on settlement, moved with the newcomer, closed only with an end reason."""

from collections.abc import Mapping
from uuid import UUID

from shared.contracts.agencies import Agency
from shared.contracts.events.employment import (
    CaseClosed,
    CaseOpened,
    CaseTransferred,
    EducationStarted,
    EmploymentStarted,
    EndReason,
    FollowUpHeld,
    MappingCompleted,
    PlacementEnded,
)
from shared.contracts.events.settlement import AgeGroup, HandoverCompleted, NewcomerDeparted, NewcomerSettled
from shared.domain.statutory import Country, RuleSet, country_of
from shared.errors import Conflict, Invalid, NotFound
from shared.runtime.store import new_row

from ..models import Case, CaseStatus, Closure, Outcome, OutcomeKind, PlacementStatus
from ..store import EmploymentStore

OUTCOME_REASONS = {
    OutcomeKind.EMPLOYMENT: EndReason.EMPLOYMENT,
    OutcomeKind.EDUCATION: EndReason.EDUCATION,
    OutcomeKind.SELF_SUPPORTING: EndReason.SELF_SUPPORTING,
}


async def open_case(
    store: EmploymentStore, event: NewcomerSettled, *, rule_sets: Mapping[Country, RuleSet]
) -> Case | None:
    """A settled adult gets a case, with the job centre's statutory duties as the country's rule set gives
    them (the same rules the coordinator's clocks run): the competence mapping's due date, and the
    follow-ups required and by when."""
    if event.age_group is not AgeGroup.ADULT or await store.get_case(event.newcomer_id) is not None:
        return None
    rule_set = rule_sets.get(country_of(event.municipality_code))
    facts = event.model_dump(mode="json")
    mapping = rule_set.duty(Agency.EMPLOYMENT, MappingCompleted.type, facts) if rule_set else None
    follow_ups = rule_set.duty(Agency.EMPLOYMENT, FollowUpHeld.type, facts) if rule_set else None
    case = new_row(
        Case,
        newcomer_id=event.newcomer_id,
        municipality_code=event.municipality_code,
        district=event.district,
        settled_on=event.settled_on,
        competence_mapping_due_on=mapping.due_on if mapping else None,
        follow_ups_from=follow_ups.started_on if follow_ups else None,
        follow_ups_due_on=follow_ups.due_on if follow_ups else None,
        follow_ups_required=follow_ups.required if follow_ups else None,
    )
    store.add(case)
    store.emit(
        CaseOpened(
            newcomer_id=event.newcomer_id,
            municipality_code=event.municipality_code,
            opened_on=case.opened_at.date(),
            competence_mapping_due_on=case.competence_mapping_due_on,
        )
    )
    return case


async def transfer_case(store: EmploymentStore, event: HandoverCompleted) -> Case | None:
    """The newcomer moved: the case goes with them, to the receiving municipality's job centre."""
    case = await store.get_case(event.newcomer_id)
    if case is not None and case.status is CaseStatus.OPEN:
        from_code, case.municipality_code = case.municipality_code, event.to_municipality_code
        case.district = event.to_district
        store.emit(
            CaseTransferred(
                newcomer_id=case.newcomer_id,
                from_municipality_code=from_code,
                to_municipality_code=event.to_municipality_code,
                transferred_on=event.completed_on,
            )
        )
    return case


async def close_on_departure(store: EmploymentStore, event: NewcomerDeparted) -> Case | None:
    case = await store.get_case(event.newcomer_id)
    if case is None or case.status is not CaseStatus.OPEN:
        return case
    await close(
        store, case, Closure(end_reason=EndReason.DEPARTED, closed_on=event.departed_on, note=event.reason)
    )
    return case


async def close_case(store: EmploymentStore, newcomer_id: UUID, data: Closure) -> Case:
    case = await open_case_of(store, newcomer_id)
    await close(store, case, data)
    return case


async def record_outcome(store: EmploymentStore, newcomer_id: UUID, data: Outcome) -> Case:
    case = await open_case_of(store, newcomer_id)
    if data.kind is OutcomeKind.EMPLOYMENT:
        if data.employer_id is not None and await store.get_employer(data.employer_id) is None:
            raise NotFound("employer", data.employer_id)
        assert data.hours_per_week is not None  # checked by Outcome
        store.emit(
            EmploymentStarted(
                newcomer_id=newcomer_id,
                started_on=data.started_on,
                hours_per_week=data.hours_per_week,
                occupation_code=data.occupation_code,
                employer_id=data.employer_id,
            )
        )
    elif data.kind is OutcomeKind.EDUCATION:  # the programme's name stays here, as the closure's note
        store.emit(EducationStarted(newcomer_id=newcomer_id, started_on=data.started_on))
    closure = Closure(end_reason=OUTCOME_REASONS[data.kind], closed_on=data.started_on, note=data.programme)
    await close(store, case, closure)
    return case


async def close(store: EmploymentStore, case: Case, data: Closure) -> None:
    if data.closed_on < case.settled_on:
        raise Invalid("A case cannot close before the newcomer was settled.")
    for placement in await store.placements_of(case.newcomer_id, active_only=True):
        placement.status = PlacementStatus.ENDED
        placement.ended_on = data.closed_on
        placement.end_reason = f"case closed: {data.end_reason}"
        store.emit(
            PlacementEnded(
                newcomer_id=case.newcomer_id,
                placement_id=placement.id,
                ended_on=data.closed_on,
            )
        )
    case.status = CaseStatus.CLOSED
    case.end_reason = data.end_reason
    case.end_note = data.note
    case.closed_on = data.closed_on
    store.emit(
        CaseClosed(
            newcomer_id=case.newcomer_id,
            end_reason=data.end_reason,
            closed_on=data.closed_on,
            explained=bool(data.note),
        )
    )


async def open_case_of(store: EmploymentStore, newcomer_id: UUID) -> Case:
    case = await store.existing(Case, newcomer_id)
    if case.status is not CaseStatus.OPEN:
        raise Conflict(f"The case of newcomer {newcomer_id} closed on {case.closed_on} ({case.end_reason}).")
    return case
