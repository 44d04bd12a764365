"""Employers and placements, with eligibility checked and refused clearly; language mentors."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

from shared.contracts.events.employment import (
    LanguageMentorRequested,
    PlacementEnded,
    PlacementKind,
    PlacementStarted,
)
from shared.contracts.events.settlement import CefrLevel
from shared.contracts.events.volunteering import LanguageMentorMatched
from shared.domain.dates import add_months
from shared.domain.statutory import country_of
from shared.errors import Conflict, Invalid

from ..models import (
    IGU_MIN_HOURS,
    IGU_YEARS,
    Employer,
    EmployerCreate,
    Placement,
    PlacementCreate,
    PlacementEnd,
    PlacementStatus,
)
from ..store import EmploymentStore
from .cases import open_case_of

CEFR = ["A1", "A2", "B1", "B2", "C1", "C2"]


async def register_employer(store: EmploymentStore, data: EmployerCreate) -> Employer:
    if (same := await store.employer_by_number(data.organisation_number)) is not None:
        raise Conflict(
            f"Employer {data.organisation_number} is registered already.", existing_id=str(same.id)
        )
    employer = Employer.model_validate(data)
    store.add(employer)
    return employer


async def start_placement(store: EmploymentStore, newcomer_id: UUID, data: PlacementCreate) -> Placement:
    case = await open_case_of(store, newcomer_id)
    employer = await store.existing(Employer, data.employer_id)
    if await store.placements_of(newcomer_id, active_only=True):
        raise Conflict(f"Newcomer {newcomer_id} has an active placement; end it first.")
    required_level = _check_language(data, employer, case.language_level)
    if data.kind is PlacementKind.IGU:
        _check_igu(data, case.municipality_code)
    placement = Placement(newcomer_id=newcomer_id, **data.model_dump())
    store.add(placement)
    store.emit(
        PlacementStarted(
            newcomer_id=newcomer_id,
            placement_id=placement.id,
            kind=data.kind,
            starts_on=data.starts_on,
            hours_per_week=data.hours_per_week,
            language_learning_at_work=data.language_learning_at_work,
            required_level=required_level,
        )
    )
    return placement


def _check_language(data: PlacementCreate, employer: Employer, level: str | None) -> CefrLevel | None:
    """The level the placement requires, if the newcomer's level meets it."""
    required = max(
        (lv for lv in (data.min_language_level, employer.min_language_level) if lv),
        key=CEFR.index,
        default=None,
    )
    if required is None:
        return None
    if level is None:
        raise Conflict(
            f"{employer.name} requires CEFR {required}, and the newcomer has no language assessment yet."
        )
    if CEFR.index(level) < CEFR.index(required):
        raise Conflict(f"{employer.name} requires CEFR {required}; the newcomer's assessed level is {level}.")
    return required


def _check_igu(data: PlacementCreate, municipality_code: str) -> None:
    if country_of(municipality_code) != "DK":
        raise Invalid("IGU is a Danish scheme; this case is in a Norwegian municipality.")
    if data.hours_per_week < IGU_MIN_HOURS:
        raise Invalid(f"An IGU is paid practice of at least {IGU_MIN_HOURS} hours a week.")
    ends_on = add_months(data.starts_on, 12 * IGU_YEARS)
    if data.ends_on != ends_on:
        raise Invalid(f"An IGU runs {IGU_YEARS} years: from {data.starts_on} to {ends_on}.")


async def end_placement(store: EmploymentStore, placement_id: UUID, data: PlacementEnd) -> Placement:
    placement = await store.existing(Placement, placement_id)
    if placement.status is not PlacementStatus.ACTIVE:
        raise Conflict(f"Placement {placement_id} ended on {placement.ended_on} already.")
    if data.ended_on < placement.starts_on:
        raise Invalid("A placement cannot end before it starts.")
    placement.status = PlacementStatus.ENDED
    placement.ended_on = data.ended_on
    placement.end_reason = data.reason
    store.emit(
        PlacementEnded(
            newcomer_id=placement.newcomer_id,
            placement_id=placement.id,
            ended_on=data.ended_on,
        )
    )
    return placement


async def request_language_mentor(
    store: EmploymentStore, placement_id: UUID, languages: list[str]
) -> Placement:
    placement = await store.existing(Placement, placement_id)
    if placement.status is not PlacementStatus.ACTIVE:
        raise Conflict(f"Placement {placement_id} has ended.")
    if placement.language_mentor_request_id is not None:
        raise Conflict(f"A language mentor was requested for placement {placement_id} already.")
    case = await open_case_of(store, placement.newcomer_id)
    placement.language_mentor_request_id = uuid4()
    store.emit(
        LanguageMentorRequested(
            newcomer_id=placement.newcomer_id,
            placement_id=placement.id,
            request_id=placement.language_mentor_request_id,
            occupation_code=placement.occupation_code,
            municipality_code=case.municipality_code,
            languages=languages,
            requested_on=datetime.now(UTC).date(),
        )
    )
    return placement


async def record_language_mentor(store: EmploymentStore, event: LanguageMentorMatched) -> Placement | None:
    if event.placement_id is None:
        return None
    placement = await store.get_placement(event.placement_id)
    if placement is not None:
        placement.language_mentor_match_id = event.match_id
    return placement
