"""Every settlement use case, driven over HTTP, reaches Kafka as a CloudEvent on the right topic."""

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from cloudevents.core.bindings import kafka as cloudevents_kafka

from deploy.local.broker import admin_options
from shared.contracts.events import settlement as events
from shared.contracts.events.education import LevelAssessed
from shared.contracts.events.employment import CaseClosed, MappingCompleted, PlacementStarted
from shared.domain.dates import add_months
from tests import scenario
from tests.conftest import eventually
from tests.integration.conftest import Platform
from tests.integration.test_erasure import PRIVACY_EVENTS
from tests.kafka_tools import produce, read_topic, record_of

pytestmark = pytest.mark.kafka


async def test_each_settlement_event_reaches_kafka_as_a_cloudevent(platform: Platform) -> None:
    api = platform.clients["settlement"]

    async def ok(response: Any, status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, response.text
        return response.json()  # type: ignore[no-any-return]

    await ok(await api.post("/municipalities", json=scenario.OSLO), 201)
    await ok(await api.post("/municipalities", json=scenario.LILLEHAMMER), 201)
    await ok(await api.put("/municipalities/0301/quotas/2026", json={"requested": 50}))
    mother = await ok(await api.post("/newcomers", json=scenario.person("Sara")), 201)
    await ok(await api.post(f"/newcomers/{mother['id']}/settlement", json=scenario.settlement()))
    household = await ok(
        await api.post("/households", json={"members": [{"newcomer_id": mother["id"], "relation": "head"}]}),
        201,
    )
    son = await ok(
        await api.post(
            "/newcomers",
            json=scenario.person(
                "Adam", birth_date="2015-01-01", consent=False, arrival_route="family_reunification"
            ),
        ),
        201,
    )
    await ok(
        await api.post(
            f"/households/{household['id']}/members", json={"newcomer_id": son["id"], "relation": "child"}
        )
    )
    await ok(await api.delete(f"/newcomers/{mother['id']}/consents/volunteer_contact"))
    await ok(
        await api.put(
            f"/newcomers/{mother['id']}/integration-plan",
            json={
                "end_goal": "work",
                "language_goal": "B1",
                "programme_months": 24,
                "agreed_on": "2026-11-10",
            },
        )
    )
    for outcome in ("reject", "revoke", "complete"):
        handover = await ok(
            await api.post(f"/newcomers/{mother['id']}/handovers", json={"to_municipality_code": "3405"}), 201
        )
        if outcome == "reject":
            await ok(await api.post(f"/handovers/{handover['id']}/reject", json={"reason": "No housing"}))
            continue
        await ok(await api.post(f"/handovers/{handover['id']}/accept", json={"to_district": "Søre Ål"}))
        if outcome == "revoke":
            await ok(await api.post(f"/handovers/{handover['id']}/revoke", json={"reason": "Stays"}))
        else:
            await ok(
                await api.post(f"/handovers/{handover['id']}/complete", json={"completed_on": "2026-12-01"})
            )
    moved = await ok(await api.get(f"/newcomers/{mother['id']}"))
    assert (moved["municipality_code"], moved["district"]) == ("3405", "Søre Ål")
    await ok(await api.post(f"/newcomers/{son['id']}/consents", json={"purpose": "volunteer_contact"}), 201)
    await ok(
        await api.post(
            f"/newcomers/{mother['id']}/departure",
            json={"reason": "left_country", "departed_on": "2027-01-05"},
        )
    )

    # Someone settled long ago, never mapped, whose case closed as "other" without a note:
    # the coordinator's sweep publishes the breached clock and the gap.
    await ok(await api.put("/municipalities/0301/quotas/2025", json={"requested": 40}))
    late = await ok(await api.post("/newcomers", json=scenario.person("Omar")), 201)
    await ok(
        await api.post(
            f"/newcomers/{late['id']}/settlement", json=scenario.settlement(settled_on="2025-01-15")
        )
    )
    offer = {"offered_on": "2025-02-03"}
    await ok(await api.post(f"/newcomers/{late['id']}/health-assessment-offer", json=offer))
    cpr = {"registered_resident_on": "2025-01-20"}  # known only after the settlement
    await ok(await api.post(f"/newcomers/{late['id']}/legal-dates", json=cpr))
    placement = PlacementStarted(
        newcomer_id=late["id"],
        placement_id=uuid4(),
        kind="work_practice",
        starts_on=date(2025, 6, 1),
        hours_per_week=20,
        required_level="B1",
    )
    await produce(
        platform.bootstrap_servers,
        platform.topic("employment.events"),
        [
            record_of(event, source="/samvirke/employment")
            for event in (
                placement,  # asks for B1, with no assessment on record: a gap
                CaseClosed(newcomer_id=late["id"], end_reason="other", closed_on=date(2025, 9, 1)),
            )
        ],
    )
    # Someone settled three months ago less a week: both their three-month clocks are at risk.
    soon = add_months(date.today(), -3) + timedelta(days=7)
    lina = await ok(await api.post("/newcomers", json=scenario.person("Lina")), 201)
    await ok(
        await api.post(f"/newcomers/{lina['id']}/settlement", json=scenario.settlement(settled_on=str(soon)))
    )

    async def in_journey(newcomer: str, *types: str) -> bool:
        journey = (await platform.coordinator.get(f"/coordination/newcomers/{newcomer}/journey")).json()
        return set(types) <= {entry["type"] for entry in journey}

    await eventually(lambda: in_journey(late["id"], CaseClosed.type, PlacementStarted.type))
    await eventually(lambda: in_journey(lina["id"], events.NewcomerSettled.type))
    swept = await ok(await platform.coordinator.post("/coordination/sweeps"))
    assert swept["clock_breaches_published"] >= 2  # competence mapping and programme decision
    assert swept["clocks_at_risk_published"] >= 2
    assert swept["gaps_published"] >= 2  # the end reason, the level
    again = await ok(await platform.coordinator.post("/coordination/sweeps"))
    assert (again["clock_breaches_published"], again["gaps_published"]) == (0, 0)
    # The mapping done at last and the level assessed: the clock is resolved, the gap closed.
    mapping = MappingCompleted(
        newcomer_id=late["id"],
        completed_on=date(2025, 10, 1),
        education_level="secondary",
        years_of_work_experience=2.0,
        occupation_codes=[],
        driving_licence=False,
        entrepreneurial_experience=False,
        language_level=None,
    )
    await produce(
        platform.bootstrap_servers,
        platform.topic("employment.events"),
        [record_of(mapping, source="/samvirke/employment")],
    )
    assessed = LevelAssessed(
        newcomer_id=late["id"], skill="reading", level="B1", tested_on=date(2025, 5, 1), overall_level="B1"
    )
    await produce(
        platform.bootstrap_servers,
        platform.topic("education.events"),
        [record_of(assessed, source="/samvirke/education")],
    )
    await eventually(lambda: in_journey(late["id"], MappingCompleted.type, LevelAssessed.type))
    resolved = await ok(await platform.coordinator.post("/coordination/sweeps"))
    assert (resolved["clocks_resolved_published"], resolved["gaps_closed_published"]) == (1, 1)

    # Each agency's worklist follows: the job centre's clock and gap tasks closed themselves, the
    # refugee office's programme decision is still open; the job centre has Lina's mapping to do.
    async def tasks_of(agency: str, newcomer: str) -> dict[tuple[str, str], str]:
        page = await ok(await platform.clients[agency].get("/worklist", params={"newcomer_id": newcomer}))
        return {(task["kind"], task["reference"]): task["status"] for task in page["items"]}

    level_gap = ("gap", f"level_not_assessed:{placement.placement_id}")

    async def job_centre_done() -> dict[tuple[str, str], str] | None:
        found = await tasks_of("employment", late["id"])
        return found if found.get(level_gap) == "done" else None

    found = await eventually(job_centre_done)
    assert found.pop(("clock", "no.competence-mapping")) == "done"
    assert found.pop(level_gap) == "done"
    [(unexplained, status)] = found.items()  # still closed as "other" without saying why
    assert (unexplained[1].startswith("end_reason_missing:"), status) == (True, "open")
    assert (await tasks_of("settlement", late["id"]))[("clock", "no.programme-decision")] == "open"
    assert (await tasks_of("employment", lina["id"])) == {("clock", "no.competence-mapping"): "open"}

    # The coordinator sees every agency's tasks for Omar, from their task events: no titles, no names.
    async def seen_by_coordinator() -> set[tuple[str, str, str, str]] | None:
        found = await ok(await platform.coordinator.get(f"/coordination/newcomers/{late['id']}/tasks"))
        tasks = {(t["agency"], t["kind"], t["reference"], t["status"]) for t in found}
        return tasks if ("employment", *level_gap, "done") in tasks else None

    seen = await eventually(seen_by_coordinator)
    assert {
        ("settlement", "clock", "no.programme-decision", "open"),
        ("employment", "clock", "no.competence-mapping", "done"),
    } <= seen
    still_open = await ok(
        await platform.coordinator.get("/coordination/tasks", params={"agency": "employment"})
    )
    assert {(t["newcomer_id"], t["kind"]) for t in still_open} >= {(lina["id"], "clock")}
    assert all(t["status"] != "done" and "title" not in t for t in still_open)

    wanted = {
        event.type for event in events.EVENTS if event not in PRIVACY_EVENTS
    }  # those: test_erasure, test_access_log

    async def all_types_published() -> dict[str, list[Any]] | None:
        seen: dict[str, list[Any]] = {}
        for topic in (events.TOPIC, events.PERSONAL_DETAILS_TOPIC, events.VOLUNTEER_CONTACTS_TOPIC):
            for record in await read_topic(platform.bootstrap_servers, platform.topic(topic)):
                seen.setdefault(dict(record.headers)["ce_type"].decode(), []).append((topic, record))
        return seen if wanted <= seen.keys() else None

    seen = await eventually(all_types_published)
    assert seen.keys() == wanted
    for event_type, records in seen.items():
        for topic, record in records:
            if record.value is None:  # a tombstone: the per-person topic forgets the newcomer
                assert topic == events.VOLUNTEER_CONTACTS_TOPIC
                continue
            cloud_event = cloudevents_kafka.from_binary_event(
                cloudevents_kafka.KafkaMessage(
                    headers=dict(record.headers), key=record.key, value=record.value
                )
            )
            assert cloud_event.get_type() == event_type
            assert cloud_event.get_source() == "/samvirke/settlement"
            assert cloud_event.get_subject() == record.key.decode()
            model = next(e for e in events.EVENTS if e.type == event_type)
            assert model.topic == topic
            model.model_validate(cloud_event.get_data())
    tombstones = [r for _, r in seen[events.VolunteerContact.type] if r.value is None]
    assert {r.key.decode() for r in tombstones} == {mother["id"]}, (
        "withdrawal (and departure) erase the contact"
    )


async def test_per_person_topics_are_compacted_and_case_topics_keep_history(platform: Platform) -> None:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=platform.bootstrap_servers, **admin_options(platform.bootstrap_servers)
    )
    await admin.start()
    try:
        names = [platform.topic(t) for t in (events.TOPIC, events.PERSONAL_DETAILS_TOPIC)]
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
        configs: dict[str, dict[str, str]] = {}
        for response in responses:
            for _code, _message, _type, name, entries in response.resources:
                configs[name] = {entry[0]: entry[1] for entry in entries}
    finally:
        await admin.close()
    assert configs[names[0]]["cleanup.policy"] == "delete"
    assert configs[names[0]]["retention.ms"] == "-1"
    assert configs[names[1]]["cleanup.policy"] == "compact"
