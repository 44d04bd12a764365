"""`make run ARGS="--cohort N"`: a Billund-sized year, simulated through the four services' APIs.

N newcomers by quota (Billund was asked for 86 in 2017), and as many again through family
reunification in its proportions (72 adults and 86 children to 86 by quota), settled over last year
in Billund's two districts. The agencies then do a year's work at the dates it would have been done:
the language school's courses start each month, the job centre maps and places most adults and holds
its follow-ups (some too few), some find work, volunteers are matched with some of those who
consented. What the coordinator's reports make of it is printed at the end; nothing in them is
computed here.
"""

import math
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any, TypeVar

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from deploy.local.scenario import Agencies, holds, ok, wait_for
from shared.domain.dates import add_months

T = TypeVar("T")

CODE = "530"
DISTRICTS = ("Billund", "Grindsted")
REUNIFIED_ADULTS_PER_QUOTA = 72 / 86  # Billund's figures
REUNIFIED_CHILDREN_PER_QUOTA = 86 / 86
GIVEN = ["Amal", "Bashir", "Dalia", "Elias", "Fatima", "Ghassan", "Hana", "Idris", "Jamila", "Karim", "Leyla"]
FAMILY = ["Abdi", "Bakr", "Darwish", "Hassan", "Ibrahim", "Jaber", "Khalil", "Mansour", "Nasser", "Omar"]
EMPLOYERS = [
    ("Billund Lufthavn, service", "31245678"),
    ("Grindsted Maskinfabrik", "31245679"),
    ("Hotel Svanen, køkken", "31245680"),
    ("Billund Kommune, ældreplejen", "31245681"),
]


@dataclass
class Arrival:
    id: str
    settled_on: date
    adult: bool
    sex: str
    district: str
    consents: bool
    by_quota: bool


def progress() -> Progress:
    """Rate, done of total and time left, on a terminal; a summary line per step otherwise."""
    return Progress(
        TextColumn("  {task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )


def steps(bar: Progress, items: Iterable[T], description: str, total: int) -> Iterator[T]:
    task = bar.add_task(description, total=total, rate="")
    for item in items:
        yield item
        speed = bar.tasks[task].speed
        bar.update(task, advance=1, rate=f"{speed:5.0f}/s" if speed else "")


def simulate(a: Agencies, size: int, today: date) -> None:
    year = today.year - 1
    rng = random.Random(f"samvirke-cohort-{size}-{year}")
    adults = size + round(size * REUNIFIED_ADULTS_PER_QUOTA)
    children = round(size * REUNIFIED_CHILDREN_PER_QUOTA)
    reunified = f"{adults - size} adults and {children} children reunified"
    print(f"\nA Billund-sized year: {size} by quota, {reunified}, in {year}")
    ok(a["settlement"].put(f"/municipalities/{CODE}/quotas/{year}", json={"requested": size}))
    _courses(a, year, math.ceil(adults / 12) + 2)
    employers = [
        ok(
            a["employment"].post(
                "/employers", json={"name": name, "organisation_number": number, "municipality_code": CODE}
            )
        )
        for name, number in EMPLOYERS
    ]
    chapter = next(o for o in ok(a["volunteering"].get("/organisations", params={"municipality_code": CODE})))
    volunteers = [
        ok(
            a["volunteering"].post(
                "/volunteers",
                json={
                    "organisation_id": chapter["id"],
                    "name": f"Frivillig {n + 1}",
                    "languages": ["da", "ar"] if n % 2 else ["da", "en"],
                    "age_band": "30-44",
                    "district": DISTRICTS[n % 2],
                    "hours_per_month": 8,
                    "roles": ["friend", "leisure_buddy"],
                    "max_active_matches": 2,
                    "background_check_on": str(today - timedelta(days=100)),
                },
            )
        )
        for n in range(max(2, size // 4))
    ]

    with progress() as bar:
        arrivals = _settle(a, bar, rng, year, size, adults - size, children)
        grown = [arrival for arrival in arrivals if arrival.adult]
        _refugee_office(a, bar, rng, arrivals, today)
        for name, path in (("education", "/learners"), ("employment", "/cases")):
            wait_for(partial(holds, a[name], path, len(grown)), f"the cohort at {name}")
        _job_centre(a, bar, rng, grown, employers, today)
        consenting = [arrival for arrival in arrivals if arrival.consents]
        _volunteers(a, bar, rng, consenting, volunteers)
    ok(a.coordinator.post("/coordination/sweeps"))
    _figures(a, year, today)


def _courses(a: Agencies, year: int, capacity: int) -> None:
    for month in range(1, 13):
        starts_on = date(year, month, 15)
        course = {
            "name": f"Danskuddannelse 2, hold {month:02d}/{year}",
            "language": "da",
            "hours_per_week": 15,
            "capacity": capacity,
            "municipality_code": CODE,
            "district": DISTRICTS[month % 2],
            "starts_on": str(starts_on),
            "ends_on": str(add_months(starts_on, 10)),
        }
        ok(a["education"].post("/courses", json=course))


def _settle(
    a: Agencies,
    bar: Progress,
    rng: random.Random,
    year: int,
    quota: int,
    reunified_adults: int,
    children: int,
) -> list[Arrival]:
    """Register and settle everyone in the order they arrive: each reunified relative joins the household
    of someone settled by quota, some weeks after them."""
    start, end = date(year, 1, 6), date(year, 12, 12)
    days = (end - start).days
    quota_days = sorted(start + timedelta(days=rng.randrange(days - 30)) for _ in range(quota))
    plan: list[tuple[date, str, int]] = [(day, "quota", n) for n, day in enumerate(quota_days)]
    heads = list(range(quota))
    rng.shuffle(heads)
    spouses = max(1, min(quota, reunified_adults))  # the first heads are joined by a spouse
    joins = [heads[n % spouses] for n in range(reunified_adults + children)]  # children by turns
    for n, joined in enumerate(joins):
        on = min(quota_days[joined] + timedelta(days=rng.randrange(14, 120)), end)
        plan.append((on, "adult" if n < reunified_adults else "child", joined))
    plan.sort()
    people: dict[int, Arrival] = {}
    households: dict[int, str] = {}
    arrivals: list[Arrival] = []
    for day, kind, n in steps(bar, plan, "registered and settled", len(plan)):
        adult = kind != "child"
        born = date(
            day.year - (rng.randrange(19, 55) if adult else rng.randrange(1, 17)), rng.randrange(1, 13), 1
        )
        sex = rng.choice(["female", "male"])
        consents = rng.random() < 0.7
        head: Arrival | None = people.get(n) if kind != "quota" else None
        living = Counter(arrival.district for arrival in arrivals)
        district = head.district if head else min(DISTRICTS, key=lambda d: living[d])
        person = {
            "given_name": rng.choice(GIVEN),
            "family_name": rng.choice(FAMILY),
            "birth_date": str(born),
            "sex": sex,
            "country_of_origin": rng.choice(["SY", "ER", "AF", "SO", "UA"]),
            "languages": ["ar"],
            "consents": ["volunteer_contact"] if consents else [],
            "registered_in": CODE,
            "arrival_route": "resettlement" if kind == "quota" else "family_reunification",
        }
        newcomer = ok(a["settlement"].post("/newcomers", json=person))
        if head is not None:
            if n not in households:
                household = ok(
                    a["settlement"].post(
                        "/households", json={"members": [{"newcomer_id": head.id, "relation": "head"}]}
                    )
                )
                households[n] = household["id"]
            relation = "spouse" if adult else "child"
            ok(
                a["settlement"].post(
                    f"/households/{households[n]}/members",
                    json={"newcomer_id": newcomer["id"], "relation": relation},
                )
            )
        where: dict[str, str] = {
            "municipality_code": CODE,
            "district": district,
            "settled_on": str(day),
            "registered_resident_on": str(day),
        }
        if head is not None:  # a family lives together, whatever the district's share of the year
            where["override_reason"] = f"joins their family in {district}"
        ok(a["settlement"].post(f"/newcomers/{newcomer['id']}/settlement", json=where))
        arrival = Arrival(newcomer["id"], day, adult, sex, district, consents, by_quota=kind == "quota")
        if kind == "quota":
            people[n] = arrival
        arrivals.append(arrival)
    return arrivals


def _refugee_office(
    a: Agencies, bar: Progress, rng: random.Random, arrivals: list[Arrival], today: date
) -> None:
    """The refugee office's own duties after the takeover: the programme's contract with each adult, and
    the health assessment offered to each quota refugee (most in time, some not)."""
    api = a["settlement"]
    for arrival in steps(bar, arrivals, "contract and health assessment", len(arrivals)):
        if arrival.adult:
            agreed_on = arrival.settled_on + timedelta(days=rng.randrange(5, 45))
            if agreed_on <= today:
                plan = {
                    "end_goal": rng.choice(["work", "education"]),
                    "language_goal": "B1",
                    "programme_months": 36,
                    "agreed_on": str(agreed_on),
                }
                ok(api.put(f"/newcomers/{arrival.id}/integration-plan", json=plan))
        offered_on = arrival.settled_on + timedelta(days=rng.randrange(14, 210))
        if arrival.by_quota and offered_on <= today:
            ok(
                api.post(
                    f"/newcomers/{arrival.id}/health-assessment-offer", json={"offered_on": str(offered_on)}
                )
            )


def _job_centre(
    a: Agencies,
    bar: Progress,
    rng: random.Random,
    adults: list[Arrival],
    employers: list[dict[str, Any]],
    today: date,
) -> None:
    """A year of the job centre's work, on the days it was done: mapping, follow-ups, placements, jobs."""
    api = a["employment"]
    for arrival in steps(bar, adults, "mapped, followed up, placed", len(adults)):
        settled = arrival.settled_on
        mapped = settled + timedelta(days=rng.randrange(10, 100))
        if mapped <= today and rng.random() < 0.9:
            mapping = {
                "education_level": rng.choice(["none", "primary", "secondary", "vocational", "higher"]),
                "work_experience": [{"occupation_code": "9112", "years": rng.randrange(0, 10)}],
                "driving_licence": rng.random() < 0.3,
                "entrepreneurial_experience": rng.random() < 0.1,
                "completed_on": str(mapped),
            }
            ok(api.put(f"/cases/{arrival.id}/mapping", json=mapping))
        held = 4 if rng.random() < 0.8 else rng.randrange(1, 4)  # Denmark asks for four in six months
        for month in range(held):
            held_on = settled + timedelta(days=20 + 40 * month + rng.randrange(10))
            if held_on <= today:
                ok(
                    api.post(
                        f"/cases/{arrival.id}/follow-ups", json={"held_on": str(held_on), "kind": "meeting"}
                    )
                )
        if rng.random() > 0.65:
            continue
        starts_on = settled + timedelta(days=rng.randrange(7, 120))
        if starts_on > today:
            continue
        ends_on = starts_on + timedelta(weeks=13)
        placement = ok(
            api.post(
                f"/cases/{arrival.id}/placements",
                json={
                    "employer_id": rng.choice(employers)["id"],
                    "kind": rng.choice(["work_practice", "subsidised_job"]),
                    "starts_on": str(starts_on),
                    "ends_on": str(ends_on),
                    "hours_per_week": 25,
                    "professional_mentor": "a colleague",
                },
            )
        )
        if ends_on > today:
            continue
        ok(
            api.post(
                f"/placements/{placement['id']}/end",
                json={"ended_on": str(ends_on), "reason": "ended as planned"},
            )
        )
        hired = ends_on + timedelta(days=rng.randrange(0, 60))
        if hired <= today and rng.random() < 0.5:
            outcome = {
                "kind": "employment",
                "started_on": str(hired),
                "hours_per_week": 30,
                "employer_id": placement["employer_id"],
            }
            ok(api.post(f"/cases/{arrival.id}/outcomes", json=outcome))


def _volunteers(
    a: Agencies,
    bar: Progress,
    rng: random.Random,
    consenting: list[Arrival],
    volunteers: list[dict[str, Any]],
) -> None:
    """The Red Cross proposes its best candidate to some of those who consented, while it has volunteers."""
    api = a["volunteering"]
    wait_for(
        lambda: ok(api.get("/match-requests", params={"limit": 1}))["total"] >= len(consenting),
        "the cohort's requests",
    )
    for arrival in steps(bar, consenting, "offered a volunteer", len(consenting)):
        if rng.random() > 0.5:
            continue
        for request in ok(api.get("/match-requests", params={"newcomer_id": arrival.id, "status": "open"}))[
            "items"
        ]:
            candidates = ok(api.get(f"/match-requests/{request['id']}/candidates"))
            if not candidates:
                continue
            match = ok(
                api.post(
                    f"/match-requests/{request['id']}/matches",
                    json={"volunteer_id": candidates[0]["volunteer_id"]},
                )
            )
            ok(api.post(f"/matches/{match['id']}/accept"))
            ok(api.post(f"/matches/{match['id']}/activate"))


def _figures(a: Agencies, year: int, today: date) -> None:
    """The coordinator's figures, from settlement's reports alone."""
    api = a.coordinator
    kpis = ok(api.get(f"/coordination/kpis/{CODE}/{year}"))
    print(f"\nThe coordinator's figures for Billund, {year} (GET /coordination/kpis/{CODE}/{year}):")
    share = kpis["quota_share"]
    print(
        f"  settled {kpis['settled']}: {kpis['settled_by_quota']} of a quota of {kpis['quota_requested']} "
        f"({'-' if share is None else f'{share:.0%}'}), "
        f"reunified {kpis['family_reunification_adults']} adults "
        f"and {kpis['family_reunification_children']} children"
    )
    for name, label in (
        ("days_to_course_start", "days to course start"),
        ("days_to_competence_mapping", "days to competence mapping"),
        ("days_to_first_placement", "days to first placement"),
    ):
        median = kpis[name]
        days = "-" if median["days"] is None else median["days"]
        print(f"  median {label:<28} {days:>5} (of {median['reached']})")
    match = kpis["volunteer_match"]
    print(f"  matched with a volunteer          {match['count']} of {match['of']}")
    work = kpis["work_or_education_after_one_year"]["all"]
    target = kpis["work_or_education_target"]
    aim = f", target {target:.0%}" if target else ""
    print(f"  in work or education a year after the programme ended: {work['count']} of {work['of']}{aim}")
    by_rule: dict[str, Counter[str]] = {}
    for clock in ok(api.get("/coordination/clocks", params={"municipality_code": CODE})):
        by_rule.setdefault(f"{clock['rule_id']} ({clock['agency']})", Counter())[clock["status"]] += 1
    print("  statutory clocks, per rule:           met   late  breached  open  cancelled")
    for rule, counts in sorted(by_rule.items()):
        still_open = counts["running"] + counts["at_risk"] + counts["overdue"]
        print(
            f"    {rule:<34} {counts['met']:>4} {counts['met_late']:>6} {counts['breached']:>9}"
            f" {still_open:>5} {counts['cancelled']:>10}"
        )
    gaps = Counter(
        (gap["agency"], gap["kind"])
        for gap in ok(api.get("/coordination/gaps", params={"municipality_code": CODE}))
    )
    print(
        "  registration gaps: "
        + (", ".join(f"{agency} {kind} {n}" for (agency, kind), n in sorted(gaps.items())) or "none")
    )
    for grant_year in (year, today.year):
        report = ok(api.get(f"/coordination/grants/{CODE}/{grant_year}"))
        amount = f"{report['total']:,} {report['currency']}"
        note = " (at an earlier year's rates)" if report["estimated"] else ""
        print(f"  integration grant {grant_year}: {report['persons']} person(s), {amount}{note}")
