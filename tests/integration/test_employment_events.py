"""Employment on real Kafka: what it consumes from three agencies, and each event it publishes."""

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest

from shared.contracts.events import employment
from shared.contracts.events.education import LevelAssessed
from shared.contracts.events.volunteering import LanguageMentorMatched
from tests.conftest import eventually
from tests.factories import absence_alert, moved
from tests.integration.conftest import Platform
from tests.integration.test_erasure import PRIVACY_EVENTS
from tests.integration.test_first_flow import settle
from tests.kafka_tools import headers_of, produce, read_topic, record_of

pytestmark = pytest.mark.kafka

TODAY = date.today()


async def test_employment_reacts_to_every_agency_and_publishes_each_of_its_events(platform: Platform) -> None:
    centre, office = platform.clients["employment"], platform.clients["settlement"]

    async def ok(response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    async def case_with(newcomer_id: str, field: str, value: Any) -> Any:
        response = await centre.get(f"/cases/{newcomer_id}")
        return response.json() if response.status_code == 200 and response.json()[field] == value else None

    worker = await settle(office, given_name="Yonas")
    student = await settle(office, given_name="Farid")
    await eventually(lambda: case_with(worker, "given_name", "Yonas"))  # case + personal details
    await eventually(lambda: case_with(student, "status", "open"))

    # The language school, as its system publishes.
    await produce(
        platform.bootstrap_servers,
        platform.topic("education.events"),
        [
            record_of(
                LevelAssessed(
                    newcomer_id=worker, skill="speaking", level="B1", tested_on=TODAY, overall_level="B1"
                ),
                source="/samvirke/education",
            ),
            record_of(
                absence_alert(newcomer_id=worker, raised_on=TODAY),
                source="/samvirke/education",
            ),
        ],
    )
    await eventually(lambda: case_with(worker, "language_level", "B1"))
    await eventually(lambda: case_with(worker, "open_tasks", 1))
    # The alert is on the job centre's worklist; a case worker takes it.
    page = await ok(await centre.get("/worklist", params={"assignee": "none", "status": "open"}))
    [alert_task] = [task for task in page["items"] if task["newcomer_id"] == worker]
    assert (alert_task["kind"], alert_task["due_on"]) == ("absence_alert", str(TODAY + timedelta(days=7)))
    taken = await ok(await centre.post(f"/worklist/{alert_task['id']}/assign", json={"assignee": "me"}))
    mine = await ok(await centre.get("/worklist", params={"assignee": "me"}))
    assert [task["id"] for task in mine["items"]] == [alert_task["id"]]
    assert [change["action"] for change in taken["history"]] == ["raised", "assigned"]

    await ok(
        await centre.put(
            f"/cases/{worker}/mapping",
            json={
                "education_level": "secondary",
                "work_experience": [{"occupation_code": "5322", "years": 4}],
                "driving_licence": False,
                "entrepreneurial_experience": False,
                "completed_on": str(TODAY),
            },
        )
    )
    employer = await ok(
        await centre.post(
            "/employers",
            json={
                "name": "Lillehammer helsehus",
                "organisation_number": "912345678",
                "municipality_code": "0301",
                "min_language_level": "B1",
            },
        ),
        201,
    )
    placement = await ok(
        await centre.post(
            f"/cases/{worker}/placements",
            json={
                "employer_id": employer["id"],
                "kind": "work_practice",
                "occupation_code": "5322",
                "starts_on": str(TODAY),
                "ends_on": str(TODAY + timedelta(days=90)),
                "hours_per_week": 30,
                "professional_mentor": "Kari Nordmann",
                "language_learning_at_work": True,
            },
        ),
        201,
    )
    await ok(await centre.post(f"/placements/{placement['id']}/language-mentor", json={"languages": ["ti"]}))

    # The volunteers answer.
    match = uuid4()
    await produce(
        platform.bootstrap_servers,
        platform.topic("volunteering.events"),
        [
            record_of(
                LanguageMentorMatched(
                    newcomer_id=worker, match_id=match, placement_id=placement["id"], matched_on=TODAY
                ),
                source="/samvirke/volunteering",
            ),
        ],
    )

    async def matched() -> Any:
        found = await ok(await centre.get(f"/placements/{placement['id']}"))
        return found if found["language_mentor_match_id"] == str(match) else None

    await eventually(matched)
    await ok(await centre.post(f"/cases/{worker}/follow-ups", json={"held_on": str(TODAY)}), 201)
    done = (await ok(await centre.get("/worklist", params={"newcomer_id": worker})))["items"]
    assert [(task["kind"], task["status"], task["closed_by"]) for task in done] == [
        ("absence_alert", "done", "samvirke")  # the follow-up was what the alert asked for
    ]
    await ok(
        await centre.post(
            f"/placements/{placement['id']}/end", json={"ended_on": str(TODAY), "reason": "Hired"}
        )
    )
    closed = await ok(
        await centre.post(
            f"/cases/{worker}/outcomes",
            json={
                "kind": "employment",
                "started_on": str(TODAY),
                "hours_per_week": 37.5,
                "employer_id": employer["id"],
            },
        )
    )
    assert (closed["status"], closed["end_reason"]) == ("closed", "employment")
    # The student moves; the refugee office's system tells of the completed handover.
    await produce(
        platform.bootstrap_servers,
        platform.topic("settlement.events"),
        [
            record_of(
                moved(newcomer_id=student, to_district="Søre Ål", completed_on=TODAY),
                source="/samvirke/settlement",
            )
        ],
    )
    await eventually(lambda: case_with(student, "municipality_code", "3405"))
    await ok(
        await centre.post(
            f"/cases/{student}/outcomes",
            json={"kind": "education", "started_on": str(TODAY), "programme": "Fagbrev helsefag"},
        )
    )

    wanted = {
        event.type for event in employment.EVENTS if event not in PRIVACY_EVENTS
    }  # those: test_erasure, test_access_log

    async def published() -> set[str] | None:
        records = await read_topic(platform.bootstrap_servers, platform.topic("employment.events"))
        types = {headers_of(r)["ce_type"] for r in records}
        return types if wanted <= types else None

    assert await eventually(published) == wanted
