"""`make run`'s scenario: a day's work in each agency, every flow through the services' APIs.

Three municipalities, the Red Cross and a sports club, courses, an employer; seven newcomers settled,
two households; then one newcomer enrolled, mapped, placed with a professional mentor, moved to the
work-integrated track and matched with a language mentor, another matched with a volunteer friend, a
child matched with the sports club, an absence alert at the job centre, and a family handed over to
another municipality. Each step waits for the events it causes to reach the other agencies.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any, TypeVar

import httpx

from deploy.local.identity import IdentityProvider
from deploy.local.stack import COORDINATOR_ACCOUNT, STAFF_ACCOUNTS, RunningService

T = TypeVar("T")

SPORTS_CLUB_ACCOUNT = "sportsclub-organiser"  # Lillehammer IL's organiser in the development realm

MUNICIPALITIES = [
    {
        "code": "3405",
        "country": "NO",
        "name": "Lillehammer",
        "districts": ["Lillehammer sentrum", "Søre Ål", "Nordre Ål"],
    },
    {"code": "0301", "country": "NO", "name": "Oslo", "districts": ["Grorud", "Stovner", "Alna"]},
    {"code": "530", "country": "DK", "name": "Billund", "districts": ["Billund", "Grindsted"]},
]
QUOTAS = {"3405": 25, "0301": 120, "530": 86}  # Billund was asked for 86 in 2017


@dataclass(frozen=True)
class Person:
    given: str
    family: str
    born: str
    sex: str
    origin: str
    languages: list[str]
    consents: bool
    municipality: str
    district: str
    route: str = "resettlement"
    weeks_here: int = 0  # settled this many weeks ago (within this year)

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}"


REUNIFIED = "family_reunification"
NEWCOMERS = [
    Person("Amira", "Haddad", "1988-03-14", "female", "SY", ["ar"], True, "3405", "Lillehammer sentrum"),
    Person("Yonas", "Tesfaye", "1995-09-02", "male", "ER", ["ti"], True, "3405", "Søre Ål"),
    Person(
        "Farid", "Rahimi", "1979-12-20", "male", "AF", ["prs", "ps"], False, "0301", "Grorud", weeks_here=8
    ),
    Person("Lina", "Haddad", "2016-06-01", "female", "SY", ["ar"], True, "3405", "Lillehammer sentrum"),
    Person("Khin", "Aung", "1991-01-30", "female", "MM", ["my"], True, "530", "Billund"),
    # Farid's wife and son, joining him through family reunification
    Person("Zahra", "Rahimi", "1984-05-11", "female", "AF", ["prs"], False, "0301", "Grorud", REUNIFIED, 4),
    Person("Omid", "Rahimi", "2014-10-03", "male", "AF", ["prs"], False, "0301", "Grorud", REUNIFIED, 4),
]
ADULTS = 5  # enrolled at the language school, with a case at the job centre
CONSENTING = 4  # known to the volunteers


@dataclass
class Agencies:
    """A staff member's client at each service, the coordinator's and the sports club's, and the
    newcomers' ids by given name."""

    api: dict[str, httpx.Client]
    coordinator: httpx.Client
    sports_club: httpx.Client
    ids: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, agency: str) -> httpx.Client:
        return self.api[agency]


@contextmanager
def agencies(stack: dict[str, RunningService], identity: IdentityProvider) -> Iterator[Agencies]:
    def client(service: RunningService, username: str) -> httpx.Client:
        token = identity.token(username, client=f"samvirke-{service.name}")
        return httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)

    with ExitStack() as clients:
        opened = {
            name: clients.enter_context(client(stack[name], user)) for name, user in STAFF_ACCOUNTS.items()
        }
        yield Agencies(
            api=opened,
            coordinator=clients.enter_context(client(stack["settlement"], COORDINATOR_ACCOUNT)),
            sports_club=clients.enter_context(client(stack["volunteering"], SPORTS_CLUB_ACCOUNT)),
        )


def ok(response: httpx.Response) -> Any:
    """The response's body; a refusal stops the scenario with the service's problem."""
    if response.is_error:
        raise SystemExit(
            f"{response.request.method} {response.request.url} → {response.status_code}: {response.text}"
        )
    return response.json()


def wait_for(check: Callable[[], T | None], what: str, timeout_s: float = 60) -> T:
    """`check`'s first truthy answer, asked every 0.1 s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    raise SystemExit(f"{what} not seen within {timeout_s:.0f}s; see the services' logs in .run/")


def weekdays_before(day: date, count: int) -> list[date]:
    found: list[date] = []
    while len(found) < count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            found.append(day)
    return sorted(found)


def set_up(a: Agencies, today: date) -> dict[str, Any]:
    """What exists before anyone is settled: municipalities and quotas, volunteers, courses, an employer."""
    for place in MUNICIPALITIES:
        ok(a["settlement"].post("/municipalities", json=place))
        ok(
            a["settlement"].put(
                f"/municipalities/{place['code']}/quotas/{today.year}",
                json={"requested": QUOTAS[str(place["code"])]},
            )
        )
        chapter = {
            "name": f"Røde Kors {place['name']}",
            "kind": "red_cross",
            "municipality_code": place["code"],
        }
        ok(a["volunteering"].post("/organisations", json=chapter))
    print("  the Red Cross works in " + ", ".join(str(place["name"]) for place in MUNICIPALITIES))
    red_cross = ok(a["volunteering"].get("/organisations", params={"municipality_code": "3405"}))[0]
    club = ok(
        a.sports_club.post(
            "/organisations",
            json={"name": "Lillehammer IL", "kind": "sports_club", "municipality_code": "3405"},
        )
    )
    friend = {
        "organisation_id": red_cross["id"],
        "name": "Ingrid Haugen",
        "languages": ["nb", "ar", "ti"],
        "interests": ["hiking", "cooking"],
        "occupation_code": "5322",
        "age_band": "30-44",
        "district": "Lillehammer sentrum",
        "hours_per_month": 12,
        "roles": ["friend", "language_mentor"],
        "max_active_matches": 3,
    }
    coach = {
        "organisation_id": club["id"],
        "name": "Ola Bakken",
        "languages": ["nb", "en"],
        "interests": ["football"],
        "age_band": "45-59",
        "district": "Lillehammer sentrum",
        "hours_per_month": 8,
        "roles": ["leisure_buddy"],
        "background_check_on": str(today - timedelta(days=200)),  # a police certificate, for children
    }
    volunteers = {
        "friend": ok(a["volunteering"].post("/volunteers", json=friend)),
        "coach": ok(a.sports_club.post("/volunteers", json=coach)),
    }
    print("  volunteers: Ingrid Haugen (Røde Kors Lillehammer), Ola Bakken (Lillehammer IL, football)")
    started = today - timedelta(days=14)
    courses = {}
    for key, name, language, track, code, district in (
        ("lillehammer", "Norsk A1–B1, dagtid", "nb", "classroom", "3405", "Lillehammer sentrum"),
        ("at-work", "Norsk på arbeidsplassen", "nb", "work_integrated", "3405", "Lillehammer sentrum"),
        ("oslo", "Norsk A1–B1, Grorud", "nb", "classroom", "0301", "Grorud"),
        ("billund", "Danskuddannelse 2, modul 1", "da", "classroom", "530", "Billund"),
    ):
        course = {
            "name": name,
            "language": language,
            "track": track,
            "hours_per_week": 15,
            "capacity": 12,
            "municipality_code": code,
            "district": district,
            "starts_on": str(started),
            "ends_on": str(started + timedelta(days=180)),
        }
        courses[key] = ok(a["education"].post("/courses", json=course))
    print(f"  {len(courses)} courses: " + "; ".join(c["name"] for c in courses.values()))
    employer = {
        "name": "Lillehammer helsehus",
        "organisation_number": "912345678",
        "municipality_code": "3405",
        "sector": "health and care",
    }
    employers = {"care_home": ok(a["employment"].post("/employers", json=employer))}
    print(f"  an employer: {employer['name']}")
    return {"volunteers": volunteers, "courses": courses, "employers": employers}


def settle_newcomers(a: Agencies, today: date) -> None:
    for person in NEWCOMERS:
        body = {
            "given_name": person.given,
            "family_name": person.family,
            "birth_date": person.born,
            "sex": person.sex,
            "country_of_origin": person.origin,
            "languages": person.languages,
            "consents": ["volunteer_contact"] if person.consents else [],
            "registered_in": person.municipality,
            "arrival_route": person.route,
        }
        newcomer = ok(a["settlement"].post("/newcomers", json=body))
        settled_on = max(today - timedelta(weeks=person.weeks_here), today.replace(month=1, day=1))
        where = {
            "municipality_code": person.municipality,
            "district": person.district,
            "settled_on": str(settled_on),
        }
        if person.municipality == "530":  # Denmark counts from the CPR registration of a quota refugee
            where["registered_resident_on"] = str(settled_on)
        ok(a["settlement"].post(f"/newcomers/{newcomer['id']}/settlement", json=where))
        where_to = f"{person.municipality} {person.district}"
        print(f"  settled {person.name} ({person.origin}, {person.route}) in {where_to} on {settled_on}")
        a.ids[person.given] = newcomer["id"]
    for members in (
        [("Amira", "head"), ("Lina", "child")],
        [("Farid", "head"), ("Zahra", "spouse"), ("Omid", "child")],
    ):
        listed = [{"newcomer_id": a.ids[given], "relation": relation} for given, relation in members]
        ok(a["settlement"].post("/households", json={"members": listed}))
        print("  household: " + ", ".join(f"{given} ({relation})" for given, relation in members))


def wait_for_other_agencies(a: Agencies) -> float:
    started = time.monotonic()
    for name, path, count in (
        ("education", "/learners", ADULTS),
        ("employment", "/cases", ADULTS),
        ("volunteering", "/match-requests", CONSENTING),
    ):
        wait_for(partial(holds, a[name], path, count), f"{count} record(s) at {name}{path}")
    return time.monotonic() - started


def holds(api: httpx.Client, path: str, count: int) -> bool:
    return ok(api.get(path))["total"] >= count  # type: ignore[no-any-return]


def _has(api: httpx.Client, path: str, name: str, value: object) -> dict[str, Any] | None:
    """The resource at `path` once its field `name` has `value`."""
    found: dict[str, Any] = ok(api.get(path))
    return found if found[name] == value else None


def placed_with_mentors(a: Agencies, setup: dict[str, Any], today: date) -> None:
    """Yonas: assessed, mapped, placed at a care home with a professional mentor and language learning
    at work (the school moves him to the work-integrated track), then a volunteer language mentor."""
    yonas = a.ids["Yonas"]
    ok(
        a["education"].post(
            f"/learners/{yonas}/assessments",
            json={"skill": "speaking", "level": "A2", "tested_on": str(today)},
        )
    )
    mapping = {
        "education_level": "secondary",
        "work_experience": [{"occupation_code": "5322", "years": 3}],
        "driving_licence": False,
        "entrepreneurial_experience": False,
        "completed_on": str(today),
    }
    ok(a["employment"].put(f"/cases/{yonas}/mapping", json=mapping))
    placement = ok(
        a["employment"].post(
            f"/cases/{yonas}/placements",
            json={
                "employer_id": setup["employers"]["care_home"]["id"],
                "kind": "work_practice",
                "occupation_code": "5322",
                "starts_on": str(today),
                "ends_on": str(today + timedelta(days=90)),
                "hours_per_week": 30,
                "professional_mentor": "Kari Nordmann, healthcare worker",
                "language_learning_at_work": True,
            },
        )
    )
    print(
        "  Yonas Tesfaye: assessed A2 in speaking, mapped, in work practice at Lillehammer helsehus "
        "with Kari Nordmann as his professional mentor"
    )
    on_track = partial(_has, a["education"], f"/learners/{yonas}", "track", "work_integrated")
    learner = wait_for(on_track, "Yonas on the work-integrated track")
    course = next(c for c in setup["courses"].values() if c["id"] == learner["course_id"])
    print(f"    the language school moved him to the work-integrated track: {course['name']}")
    ok(
        a["employment"].post(
            f"/placements/{placement['id']}/language-mentor", json={"languages": ["ti", "nb"]}
        )
    )
    print("    the job centre asked the volunteers for a language mentor for the placement:")
    match = _match(a["volunteering"], yonas, "language_mentor", setup["volunteers"]["friend"])
    mentored = partial(
        _has, a["employment"], f"/placements/{placement['id']}", "language_mentor_match_id", match["id"]
    )
    wait_for(mentored, "the language mentor at the job centre")
    print("    Ingrid Haugen is his language mentor; the job centre's placement and the school know")


def matched_with_volunteers(a: Agencies, setup: dict[str, Any], today: date) -> None:
    """Amira with a volunteer friend from the Red Cross, Lina (a child) with the sports club's coach."""
    print("  Amira Haddad matched with Ingrid Haugen as a friend (Røde Kors):")
    _match(a["volunteering"], a.ids["Amira"], "friend", setup["volunteers"]["friend"])
    born = date.fromisoformat(next(p.born for p in NEWCOMERS if p.given == "Lina"))
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    print(f"  Lina Haddad, {age}, matched with Ola Bakken at Lillehammer IL (football):")
    _match(a.sports_club, a.ids["Lina"], "leisure_buddy", setup["volunteers"]["coach"])


def _match(api: httpx.Client, newcomer_id: str, kind: str, volunteer: dict[str, Any]) -> dict[str, Any]:
    """Propose the volunteer for the newcomer's request of this kind, both say yes, and it starts."""
    request = wait_for(
        lambda: ok(api.get("/match-requests", params={"newcomer_id": newcomer_id, "kind": kind}))["items"],
        f"a {kind} request",
    )[0]
    candidates = ok(api.get(f"/match-requests/{request['id']}/candidates"))
    chosen = next(c for c in candidates if c["volunteer_id"] == volunteer["id"])
    reasons = "; ".join(part["why"] for part in chosen["parts"][:3])
    print(f"    {volunteer['name']} ranked {candidates.index(chosen) + 1} of {len(candidates)} ({reasons})")
    match = ok(api.post(f"/match-requests/{request['id']}/matches", json={"volunteer_id": volunteer["id"]}))
    ok(api.post(f"/matches/{match['id']}/accept"))
    ok(api.post(f"/matches/{match['id']}/activate"))
    return match  # type: ignore[no-any-return]


def absence_alert(a: Agencies, setup: dict[str, Any], today: date) -> None:
    """Khin misses five sessions without a reason: the school alerts the job centre, a task there."""
    khin, course = a.ids["Khin"], setup["courses"]["billund"]
    for session in weekdays_before(today, 5):
        marks = {"marks": [{"newcomer_id": khin, "status": "unexplained"}]}
        ok(a["education"].post(f"/courses/{course['id']}/sessions/{session}/attendance", json=marks))
    task = wait_for(
        lambda: ok(a["employment"].get("/worklist", params={"newcomer_id": khin, "status": "open"}))["items"],
        "the absence alert on the job centre's worklist",
    )[0]
    print(f"  Khin Aung missed five sessions of {course['name']}: the job centre's task: {task['title']}")


def family_moves(a: Agencies, today: date) -> None:
    """The Rahimis move from Oslo to Lillehammer: one handover each, requested, accepted, completed."""
    family = [a.ids[given] for given in ("Farid", "Zahra", "Omid")]
    for newcomer_id in family:
        handover = ok(
            a["settlement"].post(
                f"/newcomers/{newcomer_id}/handovers",
                json={"to_municipality_code": "3405", "reason": "a flat for the family"},
            )
        )
        ok(a["settlement"].post(f"/handovers/{handover['id']}/accept", json={"to_district": "Nordre Ål"}))
        ok(a["settlement"].post(f"/handovers/{handover['id']}/complete", json={"completed_on": str(today)}))
    for newcomer_id in family[:2]:
        moved = partial(_has, a["employment"], f"/cases/{newcomer_id}", "municipality_code", "3405")
        wait_for(moved, "the job centre's case moved to Lillehammer")
    print(
        "  the Rahimi family moved from Oslo (Grorud) to Lillehammer (Nordre Ål); the school and the job "
        "centre moved their records"
    )


# The last event of each newcomer's story, which the journey waits for before it is printed.
STORY_ENDS = {
    "Yonas": "samvirke.volunteering.language-mentor.matched.v1",
    "Amira": "samvirke.volunteering.friend.matched.v1",
    "Lina": "samvirke.volunteering.friend.matched.v1",
    "Khin": "samvirke.education.absence.unexplained-alert.v1",
    "Farid": "samvirke.settlement.handover.completed.v1",
    "Zahra": "samvirke.settlement.handover.completed.v1",
    "Omid": "samvirke.settlement.handover.completed.v1",
}


def _journey_up_to(a: Agencies, newcomer_id: str, last: str) -> list[dict[str, Any]] | None:
    entries: list[dict[str, Any]] = ok(a.coordinator.get(f"/coordination/newcomers/{newcomer_id}/journey"))
    return entries if any(entry["type"] == last for entry in entries) else None


def journeys(a: Agencies) -> None:
    """Each newcomer's journey across the agencies, as the coordinator sees it."""
    print("\nJourneys (GET /coordination/newcomers/{id}/journey, as the region's coordinator sees them):")
    for person in NEWCOMERS:
        newcomer_id = a.ids[person.given]
        last = STORY_ENDS[person.given]
        journey = wait_for(
            partial(_journey_up_to, a, newcomer_id, last), f"{person.name}'s journey up to {last}"
        )
        print(f"  {person.name}:")
        for entry in journey:
            what = entry["type"].removeprefix(f"samvirke.{entry['agency']}.").removesuffix(".v1")
            print(f"    {entry['occurred_on']}  {entry['agency']:<13} {what}")
