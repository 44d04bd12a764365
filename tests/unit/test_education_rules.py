"""The language school's rules, each checked against a real store through the handlers."""

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import TypeVar
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from services.education import handlers
from services.education.models import (
    AssessmentCreate,
    AttendanceMark,
    Completion,
    Course,
    CourseCreate,
    CoursePlacement,
    Learner,
    TrackMove,
    Withdrawal,
)
from services.education.store import TABLES, EducationStore
from shared.contracts.events import Event
from shared.contracts.events.employment import EmploymentStarted, PlacementEnded, PlacementStarted
from shared.contracts.events.settlement import (
    AgeGroup,
    ClockAtRisk,
    ClockBreached,
    ClockResolved,
    NewcomerDeparted,
    PersonalDetails,
)
from shared.contracts.events.volunteering import LanguageMentorMatched
from shared.domain.contacts import forget_contact, keep_contact
from shared.errors import Conflict, Invalid, NotFound
from shared.runtime.db import Database
from shared.runtime.worklist import Worklist, WorkTaskPublic, follow_coordination
from tests.agency import AgencyOnStore, fresh_store
from tests.factories import moved, settled

T = TypeVar("T")
TODAY = date.today()
POLICY = handlers.AbsencePolicy(threshold=0.25, min_sessions=4)


class School(AgencyOnStore[EducationStore]):
    def __init__(self, database: Database) -> None:
        super().__init__(database, EducationStore)

    async def learner(self, newcomer_id: UUID) -> Learner:
        return await self.row(Learner, newcomer_id)

    async def course(
        self,
        *,
        capacity: int = 2,
        district: str = "Grorud",
        track: str = "classroom",
        level_from: str = "A1",
        level_to: str = "B1",
        code: str = "0301",
        days: int = 10,
    ) -> Course:
        data = CourseCreate(
            name=f"Norsk {track} {district}",
            level_from=level_from,
            level_to=level_to,
            track=track,
            hours_per_week=15,
            capacity=capacity,
            municipality_code=code,
            district=district,
            starts_on=TODAY + timedelta(days=days),
            ends_on=TODAY + timedelta(days=200),
        )
        return await self(handlers.create_course, data)

    async def settle(
        self, district: str = "Grorud", *, age_group: AgeGroup = AgeGroup.ADULT, code: str = "0301"
    ) -> UUID:
        event = settled(
            municipality_code=code,
            district=district,
            settled_on=TODAY,
            age_group=age_group,
            volunteer_contact_consent=False,
        )
        await self(handlers.open_learner_record, event)
        return event.newcomer_id


@pytest.fixture
async def school(database_url: str) -> AsyncIterator[School]:
    async with fresh_store(database_url, TABLES) as database:
        yield School(database)


async def test_a_settled_adult_is_enrolled_in_the_next_course_in_their_district(school: School) -> None:
    later_here = await school.course(district="Grorud", days=30)
    await school.course(district="Stovner", days=5)
    await school.course(district="Grorud", track="evening", days=1)
    newcomer = await school.settle("Grorud")
    assert (await school.learner(newcomer)).course_id == later_here.id
    [(event, data)] = await school.published(newcomer)
    assert (event, data["course_id"], data["track"]) == (
        "learner.enrolled.v1",
        str(later_here.id),
        "classroom",
    )


async def test_another_district_serves_when_the_own_district_is_full(school: School) -> None:
    here = await school.course(district="Grorud", capacity=1)
    there = await school.course(district="Stovner", capacity=1, days=20)
    first, second = await school.settle("Grorud"), await school.settle("Grorud")
    assert ((await school.learner(first)).course_id, (await school.learner(second)).course_id) == (
        here.id,
        there.id,
    )


async def test_capacity_is_never_exceeded_and_the_rest_wait_with_a_reason(school: School) -> None:
    course = await school.course(capacity=2)
    newcomers = [await school.settle() for _ in range(4)]
    statuses = [(await school.learner(n)).status for n in newcomers]
    assert statuses == ["enrolled", "enrolled", "waitlisted", "waitlisted"]
    assert (
        await school.learner(newcomers[3])
    ).waitlist_reason == "all 1 suitable classroom course(s) are full"
    assert await school(handlers.seats_left, course) == 0


async def test_without_a_course_the_learner_waits_and_a_new_course_serves_the_list_in_order(
    school: School,
) -> None:
    waiting = [await school.settle() for _ in range(3)]
    assert (await school.learner(waiting[0])).waitlist_reason == "no classroom course for level A1 in 0301"
    course = await school.course(capacity=2)
    assert [(await school.learner(n)).course_id for n in waiting] == [course.id, course.id, None]


async def test_a_freed_seat_goes_to_the_first_in_the_queue(school: School) -> None:
    course = await school.course(capacity=1)
    enrolled, first, second = await school.settle(), await school.settle(), await school.settle()
    await school(handlers.withdraw, enrolled, Withdrawal(reason="employment", withdrawn_on=TODAY))
    assert (await school.learner(first)).course_id == course.id
    assert (await school.learner(second)).status == "waitlisted"
    assert (await school.published(enrolled))[-1][0] == "learner.withdrawn.v1"


async def test_staff_move_a_learner_to_a_chosen_course_and_the_seat_left_goes_to_the_first_waiting(
    school: School,
) -> None:
    beginners = await school.course(capacity=1, level_from="A1", level_to="A2")
    mover, waiting = await school.settle(), await school.settle()
    await school(handlers.assess, mover, AssessmentCreate(skill="reading", level="B1", tested_on=TODAY))
    await school(handlers.assess, mover, AssessmentCreate(skill="writing", level="B1", tested_on=TODAY))
    advanced = await school.course(capacity=1, district="Stovner", level_from="B1", level_to="B2")
    assert (await school.learner(waiting)).status == "waitlisted"  # A1 does not suit the advanced course

    placed = await school(
        handlers.place_in_course, mover, CoursePlacement(course_id=advanced.id, placed_on=TODAY)
    )

    assert (placed.status, placed.course_id) == ("enrolled", advanced.id)
    assert (await school.learner(waiting)).course_id == beginners.id
    event, data = (await school.published(mover))[-1]
    assert (event, data["course_id"]) == ("learner.enrolled.v1", str(advanced.id))
    with pytest.raises(Conflict, match="already enrolled"):
        await school(handlers.place_in_course, mover, CoursePlacement(course_id=advanced.id, placed_on=TODAY))


async def test_staff_placement_keeps_the_capacity_level_municipality_and_queue_rules(school: School) -> None:
    full = await school.course(capacity=1)
    upper = await school.course(capacity=1, level_from="A2", level_to="B1")
    first, second, third = await school.settle(), await school.settle(), await school.settle()
    for newcomer in (first, second, third):  # tested once placed or waiting: the list is not served again
        for skill in ("reading", "writing"):
            await school(
                handlers.assess, newcomer, AssessmentCreate(skill=skill, level="A2", tested_on=TODAY)
            )
    elsewhere = await school.course(code="3405")
    beginners_only = await school.course(level_from="A1", level_to="A1")

    def placing(course: Course) -> CoursePlacement:
        return CoursePlacement(course_id=course.id, placed_on=TODAY)

    with pytest.raises(Conflict, match="is full"):
        await school(handlers.place_in_course, second, placing(full))
    with pytest.raises(Conflict, match="is in 3405; the learner lives in 0301"):
        await school(handlers.place_in_course, second, placing(elsewhere))
    with pytest.raises(Conflict, match="teaches A1–A1; the learner's level is A2"):
        await school(handlers.place_in_course, second, placing(beginners_only))
    with pytest.raises(Conflict, match="1 learner\\(s\\) waited longer"):
        await school(handlers.place_in_course, third, placing(upper))
    with pytest.raises(Conflict, match="waited longer"):  # an enrolled learner does not pass the queue either
        await school(handlers.place_in_course, first, placing(upper))
    await school(handlers.place_in_course, second, placing(upper))
    assert [(await school.learner(n)).course_id for n in (first, second, third)] == [full.id, upper.id, None]
    with pytest.raises(NotFound):
        await school(handlers.place_in_course, third, CoursePlacement(course_id=uuid4(), placed_on=TODAY))


async def test_staff_move_a_learner_to_another_track_and_a_course_on_it_moves_them_too(
    school: School,
) -> None:
    classroom = await school.course(capacity=1)
    evening = await school.course(capacity=1, track="evening")
    work = await school.course(capacity=1, track="work_integrated")
    learner, waiting = await school.settle(), await school.settle()

    moved_ = await school(handlers.move_to_track, learner, TrackMove(track="evening", moved_on=TODAY))

    assert (moved_.track, moved_.course_id) == ("evening", evening.id)
    assert (await school.learner(waiting)).course_id == classroom.id
    changed = [data for event, data in await school.published(learner) if event == "track.changed.v1"]
    assert [(c["from_track"], c["to_track"], c["course_id"]) for c in changed] == [
        ("classroom", "evening", str(evening.id))
    ]
    with pytest.raises(Conflict, match="already on the evening track"):
        await school(handlers.move_to_track, learner, TrackMove(track="evening", moved_on=TODAY))

    placed = await school(
        handlers.place_in_course, learner, CoursePlacement(course_id=work.id, placed_on=TODAY)
    )
    assert (placed.track, placed.course_id) == ("work_integrated", work.id)
    assert await school(handlers.seats_left, evening) == 1
    last = [data for event, data in await school.published(learner) if event == "track.changed.v1"][-1]
    assert (last["to_track"], last["reason"]) == (
        "work_integrated",
        "placed in a course by the language school",
    )


async def test_children_get_no_learner_record(school: School) -> None:
    await school.course()
    child = await school.settle(age_group=AgeGroup.CHILD)
    with pytest.raises(NotFound):
        await school(EducationStore.existing, Learner, child)
    assert await school.published() == []


async def test_the_level_is_what_every_tested_skill_reached_and_is_published(school: School) -> None:
    newcomer = await school.settle()
    await school(handlers.assess, newcomer, AssessmentCreate(skill="listening", level="B1", tested_on=TODAY))
    learner = await school(
        handlers.assess, newcomer, AssessmentCreate(skill="writing", level="A2", tested_on=TODAY)
    )
    assert learner.level == "A2"
    learner = await school(
        handlers.assess, newcomer, AssessmentCreate(skill="writing", level="B1", tested_on=TODAY)
    )
    assert learner.level == "B1"
    assessed = [d for e, d in await school.published(newcomer) if e == "level.assessed.v1"]
    assert [(d["skill"], d["level"], d["overall_level"]) for d in assessed] == [
        ("listening", "B1", "B1"),
        ("writing", "A2", "A2"),
        ("writing", "B1", "B1"),
    ]
    with pytest.raises(ValidationError):
        AssessmentCreate(skill="listening", level="B1", tested_on=TODAY + timedelta(days=1))


async def test_a_learner_whose_level_is_above_the_course_is_not_placed_in_it(school: School) -> None:
    newcomer = await school.settle()
    await school(handlers.assess, newcomer, AssessmentCreate(skill="reading", level="B2", tested_on=TODAY))
    await school(handlers.withdraw, newcomer, Withdrawal(reason="other", withdrawn_on=TODAY))
    beginners = await school.course(level_from="A1", level_to="A2")
    assert await school(handlers.seats_left, beginners) == 2


async def test_unexplained_absence_alerts_the_job_centre_each_time_it_crosses_the_threshold(
    school: School,
) -> None:
    course = await school.course()
    newcomer = await school.settle()
    day = course.starts_on
    statuses = ["present", "sick", "childcare", "unexplained", "present", "unexplained"]
    alerts = []
    for n, status in enumerate(statuses):
        alerts.append(
            await school(
                handlers.record_session,
                course.id,
                day + timedelta(days=n),
                [AttendanceMark(newcomer_id=newcomer, status=status)],
                POLICY,
            )
        )
    # Lawful absence (sick, childcare) never counts. 1 of 4 unexplained = 25% reaches the threshold;
    # a present session drops it to 20%; 2 of 6 crosses it again.
    assert alerts == [0, 0, 0, 1, 0, 1]
    raised = [d for e, d in await school.published(newcomer) if e == "absence.unexplained-alert.v1"]
    assert [(d["sessions"], d["unexplained"], d["unexplained_rate"]) for d in raised] == [
        (4, 1, 0.25),
        (6, 2, 0.333),
    ]
    [rate] = await school(lambda store: store.absence_rates(course_id=course.id))
    assert (rate.sessions, rate.absent, rate.unexplained, rate.absence_rate) == (6, 4, 2, 0.667)


async def test_a_corrected_mark_replaces_the_first_and_sessions_outside_the_course_are_refused(
    school: School,
) -> None:
    course = await school.course()
    newcomer = await school.settle()
    mark = lambda status: [AttendanceMark(newcomer_id=newcomer, status=status)]  # noqa: E731
    await school(handlers.record_session, course.id, course.starts_on, mark("unexplained"), POLICY)
    await school(handlers.record_session, course.id, course.starts_on, mark("appointment"), POLICY)
    [rate] = await school(lambda store: store.absence_rates(course_id=course.id))
    assert (rate.sessions, rate.unexplained) == (1, 0)
    with pytest.raises(Invalid, match="no session on"):
        await school(
            handlers.record_session, course.id, course.starts_on - timedelta(days=1), mark("present"), POLICY
        )
    stranger = [AttendanceMark(newcomer_id=await school.settle("Stovner"), status="present")]
    await school(handlers.withdraw, stranger[0].newcomer_id, Withdrawal(reason="other", withdrawn_on=TODAY))
    with pytest.raises(Conflict, match="not enrolled"):
        await school(handlers.record_session, course.id, course.starts_on, stranger, POLICY)


async def test_a_placement_moves_the_learner_to_the_work_integrated_track_and_back(school: School) -> None:
    classroom = await school.course(track="classroom")
    at_work = await school.course(track="work_integrated")
    newcomer = await school.settle()
    placement = uuid4()
    elsewhere = PlacementStarted(
        newcomer_id=newcomer, placement_id=uuid4(), kind="work_practice", starts_on=TODAY, hours_per_week=20
    )
    await school(handlers.to_work_integrated_track, elsewhere)  # no language learning at work: stays in class
    assert ((await school.learner(newcomer)).track, (await school.learner(newcomer)).course_id) == (
        "classroom",
        classroom.id,
    )
    await school(
        handlers.to_work_integrated_track,
        PlacementStarted(
            newcomer_id=newcomer,
            placement_id=placement,
            kind="work_practice",
            starts_on=TODAY,
            hours_per_week=20,
            language_learning_at_work=True,
        ),
    )
    learner = await school.learner(newcomer)
    assert (learner.track, learner.course_id) == ("work_integrated", at_work.id)
    await school(
        handlers.back_from_placement,
        PlacementEnded(newcomer_id=newcomer, placement_id=placement, ended_on=TODAY),
    )
    learner = await school.learner(newcomer)
    assert (learner.track, learner.course_id) == ("classroom", classroom.id)
    changes = [
        (d["from_track"], d["to_track"])
        for e, d in await school.published(newcomer)
        if e == "track.changed.v1"
    ]
    assert changes == [("classroom", "work_integrated"), ("work_integrated", "classroom")]


async def test_a_job_moves_the_learner_to_the_evening_track_and_a_mentor_is_recorded(school: School) -> None:
    await school.course()
    newcomer = await school.settle()
    await school(
        handlers.to_evening_track,
        EmploymentStarted(newcomer_id=newcomer, started_on=TODAY, hours_per_week=37.5),
    )
    assert ((await school.learner(newcomer)).track, (await school.learner(newcomer)).status) == (
        "evening",
        "waitlisted",
    )
    match = uuid4()
    await school(
        handlers.record_language_mentor,
        LanguageMentorMatched(newcomer_id=newcomer, match_id=match, matched_on=TODAY),
    )
    assert (await school.learner(newcomer)).language_mentor_match_id == match


async def test_completion_frees_the_seat_and_only_enrolled_learners_complete(school: School) -> None:
    course = await school.course(capacity=1)
    newcomer, waiting = await school.settle(), await school.settle()
    done = await school(handlers.complete_course, newcomer, Completion(completed_on=TODAY))
    assert (done.status, done.course_id) == ("completed", None)
    assert (await school.learner(waiting)).course_id == course.id
    with pytest.raises(Conflict, match="only enrolled learners complete"):
        await school(handlers.complete_course, newcomer, Completion(completed_on=TODAY))


async def test_moving_municipality_transfers_the_record_and_departure_closes_it(school: School) -> None:
    await school.course(code="0301")
    there = await school.course(code="3405", district="Sentrum")
    mover, leaver = await school.settle(), await school.settle()
    await school(
        handlers.transfer_learner,
        moved(newcomer_id=mover, completed_on=TODAY),
    )
    learner = await school.learner(mover)
    assert (learner.municipality_code, learner.course_id) == ("3405", there.id)
    await school(
        handlers.close_learner_record,
        NewcomerDeparted(newcomer_id=leaver, reason="left_country", departed_on=TODAY),
    )
    closed = await school.learner(leaver)
    assert (closed.status, closed.course_id, closed.end_reason) == ("closed", None, "departed: left_country")


async def test_names_come_from_the_personal_details_channel_and_go_with_its_tombstone(school: School) -> None:
    newcomer = uuid4()
    details = PersonalDetails(
        newcomer_id=newcomer,
        given_name="Amira",
        family_name="Haddad",
        birth_date=date(1988, 3, 14),
        sex="female",
        languages=["ar"],
        phone="+4740000000",
        email=None,
        address=None,
        municipality_code="0301",
    )
    await school(
        lambda store: keep_contact(store.session, details)
    )  # before the learner record: kept all the same
    assert (await school(lambda store: store.get_contact(newcomer))).given_name == "Amira"
    await school(lambda store: forget_contact(store.session, newcomer))
    assert await school(lambda store: store.get_contact(newcomer)) is None


async def test_the_coordinations_clocks_that_name_the_school_keep_its_worklist(school: School) -> None:
    newcomer = uuid4()
    facts = {
        "newcomer_id": newcomer,
        "municipality_code": "530",
        "rule_id": "dk.danish-lessons",
        "title": "Danish lessons within 1 month of the takeover",
    }
    due, limit = TODAY + timedelta(days=5), TODAY + timedelta(days=5)

    async def follow(event: Event) -> None:
        await school(follow_coordination, event, "education")

    async def tasks(store: EducationStore) -> list[WorkTaskPublic]:
        found, _ = await Worklist(store).tasks(
            assignee=None,
            unassigned=False,
            due_before=None,
            statuses=(),
            newcomer_id=newcomer,
            limit=10,
            offset=0,
        )
        return await Worklist(store).public(found)

    at_risk = ClockAtRisk(
        **facts, agency="education", started_on=TODAY, due_on=due, limit_on=limit, found_on=TODAY
    )
    await follow(at_risk)
    await follow(at_risk)  # delivered again
    await follow(  # another agency's clock: not the school's to do
        ClockAtRisk(
            **{**facts, "rule_id": "dk.workplace-offer"},
            agency="employment",
            started_on=TODAY,
            due_on=due,
            limit_on=limit,
            found_on=TODAY,
        )
    )
    [task] = await school(tasks)
    assert (task.kind, task.reference, task.status, task.due_on) == (
        "clock",
        "dk.danish-lessons",
        "open",
        due,
    )
    later = TODAY + timedelta(days=6)
    await follow(ClockBreached(**facts, agency="education", started_on=TODAY, due_on=due, breached_on=later))
    await follow(ClockResolved(**facts, agency="education", outcome="met", resolved_on=later))
    [task] = await school(tasks)
    assert (task.status, task.closed_by) == ("done", "samvirke")
    assert [change.action for change in task.history] == ["raised", "updated", "closed"]
    assert task.title == f"Danish lessons within 1 month of the takeover: breached on {later}."
