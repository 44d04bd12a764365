"""Scope: staff see and change only their own municipalities' or organisation's data, through any route.

Each service's app on its own SQLite store (no broker: events from other
agencies are applied by calling the consumer's handler, as the consumer
would); tokens from the in-memory issuer with the scope each test names.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI

from services.education.handlers.learners import open_learner_record
from services.education.store import EducationStore
from services.employment.handlers.cases import open_case
from services.employment.store import EmploymentStore
from services.volunteering.handlers.privacy import keep_volunteer_contact
from services.volunteering.handlers.requests import on_settled
from services.volunteering.store import VolunteeringStore
from shared.contracts.events.settlement import AgeGroup, VolunteerContact
from shared.domain.statutory import load_rule_sets
from shared.service import service_of
from tests import factories, scenario
from tests.apps import app_of
from tests.issuer import ISSUER

T = TypeVar("T")
OSLO, LILLEHAMMER, BILLUND = "0301", "3405", "530"
BILLUND_PLACE = {"code": BILLUND, "country": "DK", "name": "Billund", "districts": ["Grindsted"]}


class Agency:
    """One service's app, asked as staff of the scope each call names."""

    def __init__(self, name: str, app: FastAPI) -> None:
        self.name = name
        self.app = app
        self.transport = httpx.ASGITransport(app=app)
        self.clients: list[httpx.AsyncClient] = []

    def as_(
        self, *municipalities: str, organisation: str | None = None, role: str = "staff"
    ) -> httpx.AsyncClient:
        token = ISSUER.token(self.name, role, municipalities=municipalities, organisation=organisation)
        client = httpx.AsyncClient(
            transport=self.transport,
            base_url=f"http://{self.name}",
            headers={"Authorization": f"Bearer {token}"},
        )
        self.clients.append(client)
        return client

    async def apply(
        self, make_store: Callable[[Any], Any], handler: Callable[..., Awaitable[T]], *args: Any
    ) -> T:
        """Applies another agency's event as the service's consumer does: unscoped, the service itself."""
        async with service_of(self.app).database.transaction() as session:
            return await handler(make_store(session), *args)


@pytest.fixture
async def agencies(tmp_path: Path) -> AsyncIterator[dict[str, Agency]]:
    built = {}
    for name in ("settlement", "education", "employment", "volunteering"):
        app = app_of(name, kafka_bootstrap_servers="127.0.0.1:1", data_dir=str(tmp_path))
        await service_of(app).database.create_schema()
        built[name] = Agency(name, app)
    yield built
    for agency in built.values():
        for client in agency.clients:
            await client.aclose()
        await service_of(agency.app).database.dispose()


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def settled_in_oslo(office: Agency) -> str:
    oslo = office.as_(OSLO)
    for place in (scenario.OSLO, scenario.LILLEHAMMER):
        ok(await office.as_(place["code"]).post("/municipalities", json=place), 201)  # type: ignore[arg-type]
    ok(await office.as_(BILLUND).post("/municipalities", json=BILLUND_PLACE), 201)
    ok(await oslo.put("/municipalities/0301/quotas/2026", json={"requested": 20}))
    newcomer = ok(await oslo.post("/newcomers", json=scenario.person(registered_in=OSLO)), 201)
    ok(await oslo.post(f"/newcomers/{newcomer['id']}/settlement", json=scenario.settlement()))
    return str(newcomer["id"])


async def test_another_municipality_neither_sees_nor_changes_a_newcomer(agencies: dict[str, Agency]) -> None:
    office = agencies["settlement"]
    newcomer_id = await settled_in_oslo(office)
    billund = office.as_(BILLUND)
    for path in ("", "/consents", "/handovers", "/integration-plan"):
        assert (await billund.get(f"/newcomers/{newcomer_id}{path}")).status_code == 404, path
    assert ok(await billund.get("/newcomers"))["total"] == 0
    assert ok(await billund.get("/newcomers", params={"municipality_code": OSLO}))["total"] == 0
    assert (
        await billund.patch(f"/newcomers/{newcomer_id}", json={"phone": "+45 12 34 56 78"})
    ).status_code == 404
    assert (
        await billund.post(f"/newcomers/{newcomer_id}/consents", json={"purpose": "volunteer_contact"})
    ).status_code == 404
    assert [m["code"] for m in ok(await billund.get("/municipalities"))] == [BILLUND]
    assert (await billund.get(f"/municipalities/{OSLO}")).status_code == 404
    assert (
        await billund.put(f"/municipalities/{OSLO}/quotas/2026", json={"requested": 20})
    ).status_code == 404
    assert [
        line["municipality_code"] for line in ok(await billund.get("/reports/quotas", params={"year": 2026}))
    ] == [BILLUND]
    assert (
        await office.as_(BILLUND, role="coordinator").get(f"/coordination/newcomers/{newcomer_id}/journey")
    ).status_code == 404
    # Oslo's own staff, and a regional officer acting for all three, see them.
    journey = f"/coordination/newcomers/{newcomer_id}/journey"
    assert ok(await office.as_(OSLO, role="coordinator").get(journey)) == []  # no agency's events yet
    assert ok(await office.as_(OSLO).get(f"/newcomers/{newcomer_id}"))["municipality_code"] == OSLO
    assert ok(await office.as_(OSLO, LILLEHAMMER, BILLUND).get("/newcomers"))["total"] == 1


async def test_registration_names_a_municipality_the_token_acts_for(agencies: dict[str, Agency]) -> None:
    office = agencies["settlement"]
    ok(await office.as_(OSLO).post("/municipalities", json=scenario.OSLO), 201)
    several = office.as_(OSLO, LILLEHAMMER)
    unnamed = {k: v for k, v in scenario.person().items() if k != "registered_in"}
    refused = ok(await several.post("/newcomers", json=unnamed), 422)
    assert "registered_in" in refused["detail"]
    foreign = ok(await office.as_(BILLUND).post("/newcomers", json=scenario.person(registered_in=OSLO)), 403)
    assert "530" in foreign["detail"]
    mine = ok(
        await office.as_(OSLO).post("/newcomers", json=unnamed), 201
    )  # one municipality: it is that one
    assert mine["registered_in"] == OSLO
    assert ok(await office.as_(OSLO).get(f"/newcomers/{mine['id']}"))["status"] == "registered"
    assert (await office.as_(LILLEHAMMER).get(f"/newcomers/{mine['id']}")).status_code == 404
    # Registering the same person elsewhere is refused without saying who or where they are.
    again = ok(
        await office.as_(LILLEHAMMER).post("/newcomers", json=scenario.person(registered_in=LILLEHAMMER)), 409
    )
    assert "existing_id" not in again
    assert (await office.as_(BILLUND).post("/municipalities", json=scenario.OSLO)).status_code == 403


async def test_each_handover_step_is_one_municipalitys_to_take(agencies: dict[str, Agency]) -> None:
    office = agencies["settlement"]
    newcomer_id = await settled_in_oslo(office)
    oslo, lillehammer, billund = office.as_, office.as_, office.as_
    handover = ok(
        await oslo(OSLO).post(
            f"/newcomers/{newcomer_id}/handovers", json={"to_municipality_code": LILLEHAMMER}
        ),
        201,
    )
    path = f"/handovers/{handover['id']}"
    assert (await billund(BILLUND).get(path)).status_code == 404
    assert ok(await lillehammer(LILLEHAMMER).get(f"/newcomers/{newcomer_id}"))["municipality_code"] == OSLO
    refused = ok(await oslo(OSLO).post(f"{path}/accept", json={"to_district": "Søre Ål"}), 403)
    assert "receiving municipality, 3405" in refused["detail"]
    assert (await oslo(OSLO).post(f"{path}/reject", json={"reason": "no"})).status_code == 403
    assert (await lillehammer(LILLEHAMMER).post(f"{path}/revoke", json={"reason": "no"})).status_code == 403
    assert (await billund(BILLUND).post(f"{path}/accept", json={"to_district": "Søre Ål"})).status_code == 404
    ok(await lillehammer(LILLEHAMMER).post(f"{path}/accept", json={"to_district": "Søre Ål"}))
    assert (
        await oslo(OSLO).post(f"{path}/complete", json={"completed_on": date.today().isoformat()})
    ).status_code == 403
    ok(
        await lillehammer(LILLEHAMMER).post(
            f"{path}/complete", json={"completed_on": date.today().isoformat()}
        )
    )
    assert (await oslo(OSLO).get(f"/newcomers/{newcomer_id}")).status_code == 404  # moved away
    assert ok(await oslo(OSLO).get(path))["status"] == "completed"  # the sender keeps its decision
    assert (
        ok(await lillehammer(LILLEHAMMER).get(f"/newcomers/{newcomer_id}"))["municipality_code"]
        == LILLEHAMMER
    )


async def test_the_school_and_job_centre_see_their_municipalities_only(agencies: dict[str, Agency]) -> None:
    school, centre = agencies["education"], agencies["employment"]
    in_oslo, in_billund = (
        factories.settled(),
        factories.settled(municipality_code=BILLUND, district="Grindsted"),
    )
    for event in (in_oslo, in_billund):
        await school.apply(EducationStore, open_learner_record, event)
        await centre.apply(EmploymentStore, partial(open_case, rule_sets=load_rule_sets()), event)
    for agency, path in ((school, "/learners"), (centre, "/cases")):
        listed = ok(await agency.as_(OSLO).get(path))
        assert [item["newcomer_id"] for item in listed["items"]] == [str(in_oslo.newcomer_id)], agency.name
        assert (await agency.as_(OSLO).get(f"{path}/{in_billund.newcomer_id}")).status_code == 404
        assert (
            ok(await agency.as_(BILLUND).get(f"{path}/{in_billund.newcomer_id}"))["municipality_code"]
            == BILLUND
        )
    assert (await centre.as_(OSLO).get(f"/cases/{in_billund.newcomer_id}/placements")).status_code == 404
    mapping = {"education_level": "secondary", "completed_on": "2026-03-10"}
    assert (
        await centre.as_(OSLO).put(f"/cases/{in_billund.newcomer_id}/mapping", json=mapping)
    ).status_code == 404
    course = {
        "name": "Norsk A1",
        "hours_per_week": 15,
        "capacity": 10,
        "municipality_code": BILLUND,
        "district": "Grindsted",
        "starts_on": "2026-04-01",
        "ends_on": "2026-09-01",
    }
    assert (await school.as_(OSLO).post("/courses", json=course)).status_code == 403
    ok(await school.as_(BILLUND).post("/courses", json=course), 201)
    assert ok(await school.as_(OSLO).get("/courses"))["total"] == 0
    employer = {
        "name": "Grindsted Plejecenter",
        "organisation_number": "12345678",
        "municipality_code": BILLUND,
    }
    assert (await centre.as_(OSLO).post("/employers", json=employer)).status_code == 403


async def test_an_organisation_sees_its_own_volunteers_and_contact_data_only_once_matched(
    agencies: dict[str, Agency],
) -> None:
    volunteering = agencies["volunteering"]
    organisations = {}
    for code in ("red-cross", "church-city-mission"):
        body = {"name": code, "kind": "other", "municipality_code": OSLO}
        organisations[code] = ok(
            await volunteering.as_(organisation=code).post("/organisations", json=body), 201
        )
    volunteers = {}

    def volunteer(code: str, organisation_id: str) -> dict[str, Any]:
        return {
            "organisation_id": organisation_id,
            "name": f"Volunteer of {code}",
            "languages": ["ar"],
            "age_band": "30-44",
            "district": "Alna",
            "hours_per_month": 8,
            "roles": ["friend"],
        }

    for code, organisation in organisations.items():
        body = volunteer(code, organisation["id"])
        volunteers[code] = ok(await volunteering.as_(organisation=code).post("/volunteers", json=body), 201)
    event = factories.settled()
    contact = VolunteerContact(
        newcomer_id=event.newcomer_id,
        given_name="Amira",
        phone="+47 400 00 000",
        languages=["ar"],
        municipality_code=OSLO,
        district="Alna",
        age_group=AgeGroup.ADULT,
    )
    await volunteering.apply(VolunteeringStore, keep_volunteer_contact, contact)
    await volunteering.apply(VolunteeringStore, on_settled, event)
    (request,) = await volunteering.apply(VolunteeringStore, VolunteeringStore.requests_of, event.newcomer_id)

    red_cross = volunteering.as_(organisation="red-cross")
    assert [o["code"] for o in ok(await red_cross.get("/organisations"))] == ["red-cross"]
    assert [v["name"] for v in ok(await red_cross.get("/volunteers"))["items"]] == ["Volunteer of red-cross"]
    other_volunteer = volunteers["church-city-mission"]["id"]
    into_theirs = volunteer("red-cross", organisations["church-city-mission"]["id"])
    assert (await red_cross.post("/volunteers", json=into_theirs)).status_code == 404
    seen = ok(await red_cross.get(f"/match-requests/{request.id}"))
    assert seen["given_name"] is None  # no volunteer of theirs matched yet: no contact data
    ranked = ok(await red_cross.get(f"/match-requests/{request.id}/candidates"))
    assert [c["name"] for c in ranked] == ["Volunteer of red-cross"]
    propose = f"/match-requests/{request.id}/matches"
    assert (await red_cross.post(propose, json={"volunteer_id": other_volunteer})).status_code == 404
    match = ok(await red_cross.post(propose, json={"volunteer_id": volunteers["red-cross"]["id"]}), 201)
    assert ok(await red_cross.get(f"/match-requests/{request.id}"))["given_name"] == "Amira"

    church = volunteering.as_(organisation="church-city-mission")
    assert ok(await church.get(f"/match-requests/{request.id}"))["given_name"] is None
    assert (await church.get(f"/matches/{match['id']}")).status_code == 404
    assert (await church.post(f"/matches/{match['id']}/accept")).status_code == 404
    assert ok(await church.get("/matches"))["total"] == 0
    elsewhere = volunteering.as_(organisation="library-of-billund")
    assert (await elsewhere.get(f"/match-requests/{request.id}")).status_code == 404  # not where it works
