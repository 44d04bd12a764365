"""The language school's SQL."""

from datetime import date
from typing import ClassVar
from uuid import UUID

from sqlalchemy import ColumnElement, case, func
from sqlmodel import SQLModel, col, select

from shared.contracts.events.education import Skill, Track
from shared.contracts.events.settlement import CefrLevel
from shared.domain.contacts import Contact, contact_of
from shared.runtime.store import Memo, Scope, Store
from shared.runtime.worklist import WorkTask

from .models import (
    AbsenceRate,
    Assessment,
    Attendance,
    AttendanceStatus,
    Course,
    Enrolment,
    Learner,
    LearnerStatus,
)

_COURSES_IN: Memo[dict[tuple[str, Track], list[Course]]] = Memo("courses by municipality and track", dict)

TABLES = [
    model.__table__  # type: ignore[union-attr]
    for model in (Course, Learner, Contact, Enrolment, Assessment, Attendance)
]


class EducationStore(Store):
    source: ClassVar[str] = "/samvirke/education"
    municipality_columns: ClassVar = {
        Course: "municipality_code",
        Learner: "municipality_code",
        WorkTask: "municipality_code",
    }

    def scope_condition(self, model: type[SQLModel], scope: Scope) -> ColumnElement[bool] | None:
        if model in (Enrolment, Assessment, Attendance):  # a learner's rows: where the learner is
            within = col(Learner.municipality_code).in_(scope.municipalities)
            return col(model.newcomer_id).in_(select(Learner.newcomer_id).where(within))
        return super().scope_condition(model, scope)

    def add(self, row: Course | Learner | Enrolment | Assessment | Attendance) -> None:
        self.add_row(row)
        if isinstance(row, Course):
            self.drop_memo(_COURSES_IN)

    # courses

    async def get_course(self, course_id: UUID, *, for_update: bool = False) -> Course | None:
        # Locking the course row serialises enrolments into it, so capacity holds
        # across service instances (PostgreSQL; SQLite serialises writers anyway).
        return await self.find(Course, course_id, for_update=for_update)

    async def courses_in(self, municipality_code: str, track: Track) -> list[Course]:
        """A municipality's courses on a track, read once per transaction.

        Applying events changes seats, never courses; a course added through
        `add` clears what was read.
        """
        cached = self.memo(_COURSES_IN)
        if (municipality_code, track) not in cached:
            query = (
                select(Course)
                .where(Course.municipality_code == municipality_code, Course.track == track)
                .order_by(col(Course.starts_on), col(Course.id))
            )
            cached[municipality_code, track] = list((await self.session.exec(query)).all())
        return list(cached[municipality_code, track])

    async def list_courses(
        self, *, municipality_code: str | None, track: Track | None, limit: int, offset: int
    ) -> tuple[list[Course], int]:
        query = self.scoped(select(Course), Course)
        if municipality_code is not None:
            query = query.where(Course.municipality_code == municipality_code)
        if track is not None:
            query = query.where(Course.track == track)
        return await self.page(query, col(Course.starts_on), col(Course.id), limit=limit, offset=offset)

    async def enrolled_counts(self, course_ids: list[UUID]) -> dict[UUID, int]:
        query = (
            select(Learner.course_id, func.count())
            .where(col(Learner.course_id).in_(course_ids), Learner.status == LearnerStatus.ENROLLED)
            .group_by(col(Learner.course_id))
        )
        return {course_id: count for course_id, count in (await self.session.exec(query)).all() if course_id}

    # learners

    async def get_learner(self, newcomer_id: UUID) -> Learner | None:
        return await self.find(Learner, newcomer_id)

    async def waitlist(self, municipality_code: str, track: Track) -> list[Learner]:
        query = (
            select(Learner)
            .where(
                Learner.municipality_code == municipality_code,
                Learner.track == track,
                Learner.status == LearnerStatus.WAITLISTED,
            )
            .order_by(col(Learner.waitlisted_at), col(Learner.newcomer_id))
        )
        return list((await self.session.exec(query)).all())

    async def list_learners(
        self,
        *,
        status: LearnerStatus | None,
        municipality_code: str | None,
        course_id: UUID | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Learner], int]:
        query = self.scoped(select(Learner), Learner)
        if status is not None:
            query = query.where(Learner.status == status)
        if municipality_code is not None:
            query = query.where(Learner.municipality_code == municipality_code)
        if course_id is not None:
            query = query.where(Learner.course_id == course_id)
        return await self.page(
            query, col(Learner.opened_at), col(Learner.newcomer_id), limit=limit, offset=offset
        )

    async def open_enrolment(self, newcomer_id: UUID) -> Enrolment | None:
        query = select(Enrolment).where(
            Enrolment.newcomer_id == newcomer_id, col(Enrolment.ended_on).is_(None)
        )
        return (await self.session.exec(query)).first()

    # contact details

    async def get_contact(self, newcomer_id: UUID) -> Contact | None:
        return await contact_of(self.session, newcomer_id)

    # assessments

    async def latest_levels(self, newcomer_id: UUID) -> dict[Skill, CefrLevel]:
        """Each skill's most recent result."""
        query = (
            select(Assessment)
            .where(Assessment.newcomer_id == newcomer_id)
            .order_by(col(Assessment.tested_on))
        )
        return {a.skill: CefrLevel(a.level) for a in (await self.session.exec(query)).all()}

    # attendance

    async def get_attendance(self, newcomer_id: UUID, course_id: UUID, session_on: date) -> Attendance | None:
        query = select(Attendance).where(
            Attendance.newcomer_id == newcomer_id,
            Attendance.course_id == course_id,
            Attendance.session_on == session_on,
        )
        return (await self.session.exec(query)).first()

    async def absence_rates(self, *, course_id: UUID, newcomer_id: UUID | None = None) -> list[AbsenceRate]:
        absent = func.sum(case((col(Attendance.status) != AttendanceStatus.PRESENT, 1), else_=0))
        unexplained = func.sum(case((col(Attendance.status) == AttendanceStatus.UNEXPLAINED, 1), else_=0))
        query = (
            select(Attendance.newcomer_id, func.count(), absent, unexplained)
            .where(Attendance.course_id == course_id)
            .group_by(col(Attendance.newcomer_id))
            .order_by(col(Attendance.newcomer_id))
        )
        if newcomer_id is not None:
            query = query.where(Attendance.newcomer_id == newcomer_id)
        query = self.scoped(query, Attendance)
        return [
            AbsenceRate(
                newcomer_id=learner,
                course_id=course_id,
                sessions=sessions,
                absent=int(absent_count),
                unexplained=int(unexplained_count),
                absence_rate=round(int(absent_count) / sessions, 3),
                unexplained_rate=round(int(unexplained_count) / sessions, 3),
            )
            for learner, sessions, absent_count, unexplained_count in (await self.session.exec(query)).all()
        ]

    async def assessments_of(self, newcomer_id: UUID) -> list[Assessment]:
        query = (
            select(Assessment)
            .where(Assessment.newcomer_id == newcomer_id)
            .order_by(col(Assessment.tested_on))
        )
        return list((await self.session.exec(query)).all())
