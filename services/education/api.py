"""The language-school staff's HTTP API."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from shared.contracts.events.education import Track
from shared.domain.inputs import IsoDate
from shared.service import service_of, store_dependency
from shared.web.audit import NOT_PERSONAL, PERSONAL
from shared.web.auth import Role, require_role
from shared.web.pagination import Page, PaginationDep

from . import handlers
from .config import EducationSettings
from .models import (
    AbsenceRate,
    Assessment,
    AssessmentCreate,
    Completion,
    Course,
    CourseCreate,
    CoursePlacement,
    CoursePublic,
    Learner,
    LearnerOverview,
    LearnerPublic,
    LearnerStatus,
    SessionAttendance,
    TrackMove,
    Withdrawal,
)
from .store import EducationStore

StoreDep = Annotated[EducationStore, store_dependency(EducationStore)]


async def _absence_policy(request: Request) -> handlers.AbsencePolicy:
    settings: EducationSettings = service_of(request.app).settings
    return handlers.AbsencePolicy(settings.absence_alert_threshold, settings.absence_alert_min_sessions)


PolicyDep = Annotated[handlers.AbsencePolicy, Depends(_absence_policy)]

router = APIRouter(dependencies=[require_role(Role.STAFF)])


async def _course(store: EducationStore, course: Course) -> CoursePublic:
    left = await handlers.seats_left(store, course)
    return CoursePublic(**course.model_dump(), enrolled=course.capacity - left, seats_left=left)


async def _learner(store: EducationStore, learner: Learner) -> LearnerPublic:
    contact = await store.get_contact(learner.newcomer_id)
    names: dict[str, Any] = contact.model_dump(exclude={"newcomer_id"}) if contact else {}
    return LearnerPublic(
        **learner.model_dump(), **{"given_name": None, "family_name": None, "phone": None, **names}
    )


@router.post(
    "/courses",
    status_code=201,
    tags=["courses"],
    summary="Open a course (serves the waiting list)",
    openapi_extra=PERSONAL,
)
async def create_course(data: CourseCreate, store: StoreDep) -> CoursePublic:
    return await _course(store, await handlers.create_course(store, data))


@router.get(
    "/courses", tags=["courses"], summary="Courses, filtered and paginated", openapi_extra=NOT_PERSONAL
)
async def list_courses(
    store: StoreDep,
    pagination: PaginationDep,
    municipality_code: str | None = None,
    track: Track | None = None,
) -> Page[CoursePublic]:
    items, total = await store.list_courses(
        municipality_code=municipality_code, track=track, limit=pagination.limit, offset=pagination.offset
    )
    return pagination.page([await _course(store, c) for c in items], total)


@router.get(
    "/courses/{course_id}", tags=["courses"], summary="One course with its seats", openapi_extra=NOT_PERSONAL
)
async def get_course(course_id: UUID, store: StoreDep) -> CoursePublic:
    course = await store.existing(Course, course_id)
    return await _course(store, course)


@router.post(
    "/courses/{course_id}/sessions/{session_on}/attendance",
    tags=["attendance"],
    summary="Register a session's attendance with reasons (all learners at once, or some)",
    openapi_extra=PERSONAL,
)
async def record_session(
    course_id: UUID, session_on: IsoDate, data: SessionAttendance, store: StoreDep, policy: PolicyDep
) -> dict[str, int]:
    alerts = await handlers.record_session(store, course_id, session_on, data.marks, policy)
    return {"recorded": len(data.marks), "alerts": alerts}


@router.get(
    "/courses/{course_id}/absence",
    tags=["attendance"],
    summary="Absence rates per learner",
    openapi_extra=PERSONAL,
)
async def course_absence(course_id: UUID, store: StoreDep) -> list[AbsenceRate]:
    await get_course(course_id, store)
    return await store.absence_rates(course_id=course_id)


@router.get(
    "/learners", tags=["learners"], summary="Learners, filtered and paginated", openapi_extra=PERSONAL
)
async def list_learners(
    store: StoreDep,
    pagination: PaginationDep,
    status: LearnerStatus | None = None,
    municipality_code: str | None = None,
    course_id: UUID | None = None,
) -> Page[LearnerPublic]:
    items, total = await store.list_learners(
        status=status,
        municipality_code=municipality_code,
        course_id=course_id,
        limit=pagination.limit,
        offset=pagination.offset,
    )
    return pagination.page([await _learner(store, x) for x in items], total)


@router.get(
    "/learners/{newcomer_id}", tags=["learners"], summary="A learner's overview", openapi_extra=PERSONAL
)
async def get_learner(newcomer_id: UUID, store: StoreDep) -> LearnerOverview:
    learner = await store.existing(Learner, newcomer_id)
    absence = (
        await store.absence_rates(course_id=learner.course_id, newcomer_id=newcomer_id)
        if learner.course_id
        else []
    )
    return LearnerOverview(
        **(await _learner(store, learner)).model_dump(),
        skills=await store.latest_levels(newcomer_id),
        absence=absence[0] if absence else None,
    )


@router.post(
    "/learners/{newcomer_id}/assessments",
    status_code=201,
    tags=["learners"],
    summary="Record a test",
    openapi_extra=PERSONAL,
)
async def assess(newcomer_id: UUID, data: AssessmentCreate, store: StoreDep) -> LearnerOverview:
    await handlers.assess(store, newcomer_id, data)
    return await get_learner(newcomer_id, store)


@router.get(
    "/learners/{newcomer_id}/assessments",
    tags=["learners"],
    summary="A learner's test results",
    openapi_extra=PERSONAL,
)
async def assessments(newcomer_id: UUID, store: StoreDep) -> list[Assessment]:
    await store.existing(Learner, newcomer_id)
    return await store.assessments_of(newcomer_id)


@router.post(
    "/learners/{newcomer_id}/placement",
    tags=["learners"],
    summary="Place the learner in a chosen course (from the waiting list or another course)",
    description="The rules of automatic enrolment hold: the learner's municipality, a level in the "
    "course's range, a course not ended, a free seat, and nobody who waited longer for that seat passed "
    "over (409 otherwise). A course on another track moves the learner to that track. The course left "
    "behind gives its seat to the first waiting learner it suits.",
    openapi_extra=PERSONAL,
)
async def place(newcomer_id: UUID, data: CoursePlacement, store: StoreDep) -> LearnerPublic:
    return await _learner(store, await handlers.place_in_course(store, newcomer_id, data))


@router.post(
    "/learners/{newcomer_id}/track",
    tags=["learners"],
    summary="Move the learner to another track",
    description="The learner leaves their course (its seat goes to the waiting list) and gets the best "
    "free seat on the new track, or a place on its waiting list.",
    openapi_extra=PERSONAL,
)
async def move_track(newcomer_id: UUID, data: TrackMove, store: StoreDep) -> LearnerPublic:
    return await _learner(store, await handlers.move_to_track(store, newcomer_id, data))


@router.post(
    "/learners/{newcomer_id}/completion",
    tags=["learners"],
    summary="The learner completed the course",
    openapi_extra=PERSONAL,
)
async def complete(newcomer_id: UUID, data: Completion, store: StoreDep) -> LearnerPublic:
    return await _learner(store, await handlers.complete_course(store, newcomer_id, data))


@router.post(
    "/learners/{newcomer_id}/withdrawal",
    tags=["learners"],
    summary="The learner leaves, with a reason",
    openapi_extra=PERSONAL,
)
async def withdraw(newcomer_id: UUID, data: Withdrawal, store: StoreDep) -> LearnerPublic:
    return await _learner(store, await handlers.withdraw(store, newcomer_id, data))
