"""Competence mapping and the job plan."""

from uuid import UUID

from shared.contracts.events.employment import MappingCompleted

from ..models import JobPlan, JobPlanSet, Mapping, MappingSet
from ..store import EmploymentStore
from .cases import open_case_of


async def complete_mapping(store: EmploymentStore, newcomer_id: UUID, data: MappingSet) -> Mapping:
    """Records the mapping; the language level is the one education last assessed."""
    case = await open_case_of(store, newcomer_id)
    values = {**data.model_dump(), "language_level": case.language_level}
    mapping = await store.get_mapping(newcomer_id)
    if mapping is None:
        mapping = Mapping(newcomer_id=newcomer_id, **values)
        store.add(mapping)
    else:
        mapping.sqlmodel_update(values)
    store.emit(
        MappingCompleted(
            newcomer_id=newcomer_id,
            completed_on=data.completed_on,
            education_level=data.education_level,
            years_of_work_experience=sum(w.years for w in data.work_experience),
            occupation_codes=[w.occupation_code for w in data.work_experience],
            driving_licence=data.driving_licence,
            entrepreneurial_experience=data.entrepreneurial_experience,
            language_level=case.language_level,
        )
    )
    return mapping


async def agree_job_plan(store: EmploymentStore, newcomer_id: UUID, data: JobPlanSet) -> JobPlan:
    await open_case_of(store, newcomer_id)
    values = {**data.model_dump(), "review_dates": [day.isoformat() for day in data.review_dates]}
    plan = await store.get_plan(newcomer_id)
    if plan is None:
        plan = JobPlan(newcomer_id=newcomer_id, **values)
        store.add(plan)
    else:
        plan.sqlmodel_update(values)
    return plan
