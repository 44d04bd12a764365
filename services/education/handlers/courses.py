"""Courses: opening one serves the waiting list."""

from datetime import date

from ..models import Course, CourseCreate
from ..store import EducationStore
from .seats import serve_waitlist


async def create_course(store: EducationStore, data: CourseCreate) -> Course:
    course = Course.model_validate(data)
    store.add(course)
    await store.flush()
    await serve_waitlist(store, course, date.today())
    return course
