"""Education on real Kafka: what it consumes from three agencies, and each event it publishes."""

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest

from shared.contracts.events import education
from shared.contracts.events.employment import EmploymentStarted, PlacementEnded, PlacementStarted
from shared.contracts.events.settlement import ClockAtRisk, PersonalDetails
from shared.contracts.events.volunteering import LanguageMentorMatched
from tests.conftest import eventually
from tests.integration.conftest import Platform
from tests.integration.test_erasure import PRIVACY_EVENTS
from tests.integration.test_first_flow import settle
from tests.kafka_tools import headers_of, produce, read_topic, record_of

pytestmark = pytest.mark.kafka

TODAY = date.today()


async def test_education_reacts_to_every_agency_and_publishes_each_of_its_events(platform: Platform) -> None:
    school, office = platform.clients["education"], platform.clients["settlement"]

    async def ok(response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    def course(track: str, capacity: int) -> dict[str, Any]:
        return {
            "name": f"Norsk {track}",
            "track": track,
            "hours_per_week": 15,
            "capacity": capacity,
            "municipality_code": "0301",
            "district": "Grorud",
            "starts_on": str(TODAY),
            "ends_on": str(TODAY + timedelta(days=180)),
        }

    classroom = await ok(await school.post("/courses", json=course("classroom", 1)), 201)
    await ok(await school.post("/courses", json=course("work_integrated", 5)), 201)

    async def learner(newcomer_id: str, status: str) -> Any:
        response = await school.get(f"/learners/{newcomer_id}")
        return (
            response.json() if response.status_code == 200 and response.json()["status"] == status else None
        )

    first = await settle(office, given_name="Amira")  # via settlement's API, through Kafka
    second = await settle(office, given_name="Yonas")
    assert (await eventually(lambda: learner(first, "enrolled")))["course_id"] == classroom["id"]
    assert (await eventually(lambda: learner(second, "waitlisted")))["waitlist_reason"].startswith("all 1")
    await eventually(lambda: _with(school, first, "given_name", "Amira"))  # from the personal-details channel

    # A statutory clock the coordination finds at risk, naming the school, lands on its worklist.
    at_risk = ClockAtRisk(
        newcomer_id=second,
        rule_id="no.language-start",
        title="Norwegian lessons begun within 3 months",
        agency="education",
        municipality_code="0301",
        started_on=TODAY,
        due_on=TODAY + timedelta(days=10),
        limit_on=TODAY + timedelta(days=10),
        found_on=TODAY,
    )
    await produce(
        platform.bootstrap_servers,
        platform.topic("settlement.events"),
        [record_of(at_risk, source="/samvirke/settlement")],
    )

    async def worklist_task() -> Any:
        page = await ok(await school.get("/worklist", params={"newcomer_id": second}))
        return page["items"][0] if page["items"] else None

    task = await eventually(worklist_task)
    assert (task["kind"], task["reference"], task["status"]) == ("clock", "no.language-start", "open")
    assert task["title"].startswith("Norwegian lessons begun within 3 months: due ")
    started = await ok(await school.post(f"/worklist/{task['id']}/start"))
    assert started["status"] == "in_progress"
    assert started["assignee"]  # whoever started it: the token's subject
    finished = await ok(await school.post(f"/worklist/{task['id']}/done"))
    assert (finished["status"], finished["closed_by"]) == ("done", started["assignee"])
    refused = await school.post(f"/worklist/{task['id']}/done")
    assert refused.status_code == 409, refused.text

    overview = await ok(
        await school.post(
            f"/learners/{first}/assessments",
            json={"skill": "speaking", "level": "A2", "tested_on": str(TODAY)},
        ),
        201,
    )
    assert overview["skills"] == {"speaking": "A2"}
    marks = {"marks": [{"newcomer_id": first, "status": "unexplained"}]}
    for day in range(5):
        await ok(
            await school.post(
                f"/courses/{classroom['id']}/sessions/{TODAY + timedelta(days=day)}/attendance", json=marks
            )
        )

    # The job centre and the volunteers, as their systems would publish.
    placement = uuid4()
    await produce(
        platform.bootstrap_servers,
        platform.topic("employment.events"),
        [
            record_of(
                PlacementStarted(
                    newcomer_id=first,
                    placement_id=placement,
                    kind="work_practice",
                    starts_on=TODAY,
                    hours_per_week=20,
                    language_learning_at_work=True,
                ),
                source="/samvirke/employment",
            ),
            record_of(
                PlacementEnded(newcomer_id=first, placement_id=placement, ended_on=TODAY),
                source="/samvirke/employment",
            ),
            record_of(
                EmploymentStarted(newcomer_id=second, started_on=TODAY, hours_per_week=37.5),
                source="/samvirke/employment",
            ),
        ],
    )
    match = uuid4()
    await produce(
        platform.bootstrap_servers,
        platform.topic("volunteering.events"),
        [
            record_of(
                LanguageMentorMatched(newcomer_id=first, match_id=match, matched_on=TODAY),
                source="/samvirke/volunteering",
            ),
        ],
    )
    await eventually(lambda: _with(school, first, "language_mentor_match_id", str(match)))

    async def track_changes() -> list[str] | None:
        records = await read_topic(platform.bootstrap_servers, platform.topic("education.events"))
        changes = [
            headers_of(r)["ce_type"]
            for r in records
            if r.key == first.encode() and headers_of(r)["ce_type"] == education.TrackChanged.type
        ]
        return changes if len(changes) == 2 else None

    await eventually(track_changes)  # to work-integrated, and back when the placement ended
    assert (await ok(await school.get(f"/learners/{first}")))["track"] == "classroom"
    assert (await eventually(lambda: _with(school, second, "track", "evening")))["status"] == "waitlisted"

    await ok(await school.post(f"/learners/{first}/completion", json={"completed_on": str(TODAY)}))
    await ok(
        await school.post(
            f"/learners/{second}/withdrawal", json={"reason": "employment", "withdrawn_on": str(TODAY)}
        )
    )

    # Settlement erases the personal details: the tombstone reaches education's store.
    key, _, headers = record_of(
        PersonalDetails(
            newcomer_id=first,
            given_name="x",
            family_name="x",
            birth_date=date(1990, 1, 1),
            sex="female",
            languages=[],
            phone=None,
            email=None,
            address=None,
            municipality_code=None,
        )
    )
    await produce(
        platform.bootstrap_servers, platform.topic("settlement.personal-details"), [(key, None, headers)]
    )  # type: ignore[list-item]
    await eventually(lambda: _with(school, first, "given_name", None))

    wanted = {
        event.type for event in education.EVENTS if event not in PRIVACY_EVENTS
    }  # those: test_erasure, test_access_log

    async def published() -> set[str] | None:
        records = await read_topic(platform.bootstrap_servers, platform.topic("education.events"))
        types = {headers_of(r)["ce_type"] for r in records}
        return types if wanted <= types else None

    assert await eventually(published) == wanted


async def _with(client: Any, newcomer_id: Any, field: str, value: Any) -> Any:
    response = await client.get(f"/learners/{newcomer_id}")
    return response.json() if response.status_code == 200 and response.json()[field] == value else None
