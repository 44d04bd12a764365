"""`make run`: a broker, the four services on SQLite, and a few newcomers settled through the APIs.

Prints where the APIs are, a development token per agency, and what each
agency now holds. Ctrl-C stops everything. `--once` stops after the scenario.
"""

import argparse
import shutil
import socket
import sys
import time
from pathlib import Path

import httpx

from deploy.local.broker import provide_kafka
from deploy.local.identity import DEV_PASSWORD, IdentityProvider, accounts, provide_identity
from deploy.local.stack import RunningService, coordinator_token, run_stack, tokens

ROOT = Path(__file__).resolve().parents[2]
PREFERRED_PORTS = {"settlement": 8001, "education": 8002, "employment": 8003, "volunteering": 8004}

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

NEWCOMERS = [
    # (given, family, birth date, sex, origin, languages, consents, municipality, district)
    ("Amira", "Haddad", "1988-03-14", "female", "SY", ["ar"], True, "3405", "Lillehammer sentrum"),
    ("Yonas", "Tesfaye", "1995-09-02", "male", "ER", ["ti"], True, "3405", "Søre Ål"),
    ("Farid", "Rahimi", "1979-12-20", "male", "AF", ["prs", "ps"], False, "0301", "Grorud"),
    ("Lina", "Haddad", "2016-06-01", "female", "SY", ["ar"], True, "3405", "Lillehammer sentrum"),
    ("Khin", "Aung", "1991-01-30", "female", "MM", ["my"], True, "530", "Billund"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--once", action="store_true", help="stop after the scenario instead of waiting for Ctrl-C"
    )
    args = parser.parse_args()

    data_dir = ROOT / ".run"
    shutil.rmtree(data_dir, ignore_errors=True)  # a fresh broker each run, so fresh stores too
    print("Starting Kafka and the identity provider …", flush=True)
    with provide_kafka() as kafka, provide_identity() as identity:
        print(f"Kafka: {kafka.bootstrap_servers} ({kafka.provider})", flush=True)
        print(f"Identity provider: {identity.issuer} ({identity.provider})", flush=True)
        print("Starting the four services …", flush=True)
        agency_tokens = tokens(identity)
        with run_stack(kafka=kafka, data_dir=data_dir, identity=identity, ports=_ports()) as stack:
            _red_cross(stack["volunteering"], agency_tokens["volunteering"])
            ids = _scenario(stack["settlement"], agency_tokens["settlement"])
            _wait_for_other_agencies(stack, agency_tokens)
            _report(stack, agency_tokens, data_dir)
            _how_to_log_in(identity)
            _coordinator_view(stack["settlement"], coordinator_token(identity), ids[0])
            _worklists(stack, agency_tokens, coordinator_token(identity))
            _grants(stack["settlement"], coordinator_token(identity))
            if args.once:
                return
            print("\nRunning. Press Ctrl-C to stop everything.", flush=True)
            try:
                while all(s.process.poll() is None for s in stack.values()):
                    time.sleep(0.5)
                print("A service stopped; see its log in .run/. Stopping the rest.", file=sys.stderr)
            except KeyboardInterrupt:
                print("\nStopping …", flush=True)


def _ports() -> dict[str, int]:
    def free(port: int) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) != 0

    return {name: port for name, port in PREFERRED_PORTS.items() if free(port)}


def _client(service: RunningService, token: str) -> httpx.Client:
    return httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _red_cross(volunteering: RunningService, token: str) -> None:
    """The Red Cross's chapters: its staff see the match requests of the municipalities it works in."""
    with _client(volunteering, token) as api:
        for place in MUNICIPALITIES:
            chapter = {
                "name": f"Røde Kors {place['name']}",
                "kind": "red_cross",
                "municipality_code": place["code"],
            }
            api.post("/organisations", json=chapter).raise_for_status()
    print("  the Red Cross works in " + ", ".join(str(place["name"]) for place in MUNICIPALITIES))


def _scenario(settlement: RunningService, token: str) -> list[str]:
    today = time.strftime("%Y-%m-%d")
    ids = []
    with _client(settlement, token) as api:
        for place in MUNICIPALITIES:
            code = str(place["code"])
            api.post("/municipalities", json=place).raise_for_status()
            quota = {"requested": QUOTAS[code]}
            api.put(f"/municipalities/{code}/quotas/{today[:4]}", json=quota).raise_for_status()
        for given, family, born, sex, origin, languages, consent, municipality, district in NEWCOMERS:
            person = {
                "given_name": given,
                "family_name": family,
                "birth_date": born,
                "sex": sex,
                "country_of_origin": origin,
                "languages": languages,
                "consents": ["volunteer_contact"] if consent else [],
                "registered_in": municipality,
            }
            newcomer = api.post("/newcomers", json=person).raise_for_status().json()
            where = {"municipality_code": municipality, "district": district, "settled_on": today}
            api.post(f"/newcomers/{newcomer['id']}/settlement", json=where).raise_for_status()
            print(f"  settled {given} {family} ({origin}) in {municipality} {district}: {newcomer['id']}")
            ids.append(newcomer["id"])
        members = [{"newcomer_id": ids[0], "relation": "head"}, {"newcomer_id": ids[3], "relation": "child"}]
        household = api.post("/households", json={"members": members}).raise_for_status().json()
        print(f"  Amira and Lina Haddad form household {household['id']}")
    return ids


HIDDEN = {"opened_at", "registered_at", "education_level", "arrival_route", "birth_date", "follow_ups"}
EXPECTED = {
    "education": ("/learners", 4),
    "employment": ("/cases", 4),
    "volunteering": ("/match-requests", 4),
}


def _wait_for_other_agencies(stack: dict[str, RunningService], agency_tokens: dict[str, str]) -> None:
    started = time.monotonic()
    for name, (path, count) in EXPECTED.items():
        with _client(stack[name], agency_tokens[name]) as api:
            while api.get(path).json()["total"] < count:
                if time.monotonic() - started > 60:
                    raise SystemExit(f"{name} did not receive the settlements; see .run/{name}.log")
                time.sleep(0.1)
    print(f"  all agencies updated {time.monotonic() - started:.2f}s after the last settlement")


def _report(stack: dict[str, RunningService], agency_tokens: dict[str, str], data_dir: Path) -> None:
    print("\nAPIs (OpenAPI docs at /docs, event catalogue at /asyncapi.json):")
    for name, service in stack.items():
        print(f"  {name:<13} {service.url}")
    print("\nWhat each agency holds now:")
    for name, (path, _) in {"settlement": ("/newcomers", 0), **EXPECTED}.items():
        with _client(stack[name], agency_tokens[name]) as api:
            page = api.get(path, params={"limit": 100}).json()
        print(f"  {name} holds {page['total']} record(s) at {path}")
        for item in page["items"]:
            shown = {k: v for k, v in item.items() if v not in (None, [], {}, "") and k not in HIDDEN}
            print("    " + ", ".join(f"{k}={v}" for k, v in shown.items()))
    example = f"curl -H 'Authorization: Bearer <education token>' {stack['education'].url}/learners"
    print(f"\nStores and logs: {data_dir}/\nFor example: {example}")


def _how_to_log_in(identity: IdentityProvider) -> None:
    print(f"\nStaff accounts of the development realm (password {DEV_PASSWORD!r}):")
    for user in accounts():
        scope = ", ".join(user["municipalities"]) or user["organisation"]
        print(f"  {user['username']:<24} {user['agency']:<13} {user['role']:<12} {scope}")
    print(
        "A token for one of them, for its agency's service (valid an hour; "
        "send as 'Authorization: Bearer …'):\n"
        f"  curl -s {identity.token_endpoint} -d grant_type=password -d client_id=samvirke-education \\\n"
        f"    -d username=oslo-teacher -d password={DEV_PASSWORD} | jq -r .access_token\n"
        f"Administration console: {identity.base_url}/admin (admin / {identity.admin_password})"
    )


def _coordinator_view(settlement: RunningService, token: str, newcomer_id: str) -> None:
    """What the refugee office's coordinator sees of the first newcomer, built from all agencies' events."""
    print("\nThe coordinator's view (region-coordinator; settlement's API under /coordination):")
    with _client(settlement, token) as api:
        deadline = time.monotonic() + 30
        journey = []
        while time.monotonic() < deadline:
            journey = api.get(f"/coordination/newcomers/{newcomer_id}/journey").raise_for_status().json()
            if {entry["agency"] for entry in journey} >= {"education", "employment", "volunteering"}:
                break
            time.sleep(0.2)
        print("\nHer journey across agencies:")
        for entry in journey:
            print(f"  {entry['occurred_on']}  {entry['agency']:<13} {entry['type']}")
        print("Her statutory clocks:")
        for clock in api.get(f"/coordination/newcomers/{newcomer_id}/clocks").raise_for_status().json():
            print(f"  {clock['rule_id']:<24} due {clock['due_on']}  {clock['status']}  ({clock['title']})")


def _worklists(stack: dict[str, RunningService], agency_tokens: dict[str, str], coordinator: str) -> None:
    """Each agency's open tasks (GET /worklist), and the coordinator's view of them all."""
    print("\nWorklists (GET /worklist?status=open; assign, start and finish under /worklist/{id}):")
    for name, service in stack.items():
        with _client(service, agency_tokens[name]) as api:
            page = api.get("/worklist", params={"status": "open", "limit": 3}).raise_for_status().json()
        print(f"  {name:<13} {page['total']} open task(s)")
        for task in page["items"]:
            print(f"    {task['kind']:<14} due {task['due_on'] or '-':<10}  {task['title']}")
    with _client(stack["settlement"], coordinator) as api:
        found = api.get("/coordination/tasks").raise_for_status().json()
    per_agency = {task["agency"]: 0 for task in found}
    for task in found:
        per_agency[task["agency"]] += 1
    shown = ", ".join(f"{agency} {count}" for agency, count in sorted(per_agency.items())) or "none"
    print(f"  the coordinator sees their open tasks (GET /coordination/tasks): {shown}")


def _grants(settlement: RunningService, coordinator: str) -> None:
    """What each municipality can expect of the state's integration grant this year."""
    year = time.strftime("%Y")
    print(f"\nIntegration grant expected in {year} (GET /coordination/grants/{{code}}/{year}):")
    with _client(settlement, coordinator) as api:
        for place in MUNICIPALITIES:
            report = api.get(f"/coordination/grants/{place['code']}/{year}").raise_for_status().json()
            notes = [
                note
                for note, shown in (
                    ("at an earlier year's rates", report["estimated"]),
                    ("rates not checked against their source", not report["rates_checked"]),
                )
                if shown
            ]
            amount = f"{report['total']:,} {report['currency']}"
            print(f"  {place['name']:<12} {report['persons']} person(s), {amount}", end="")
            print(f" ({'; '.join(notes)})" if notes else "")


if __name__ == "__main__":
    main()
