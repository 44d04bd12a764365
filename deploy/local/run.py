"""`make run`: a broker, an identity provider, the four services on SQLite, and every flow through the APIs.

Runs `scenario` (a day's work in each agency) and prints what each agency holds,
how to log in, worklists and grants; `--cohort N` then simulates a Billund-sized
year (`cohort`). Ctrl-C stops everything. `--once` stops after the scenario.
"""

import argparse
import shutil
import socket
import sys
import time
from datetime import date
from pathlib import Path

import httpx

from deploy.local import cohort, scenario
from deploy.local.broker import provide_kafka
from deploy.local.identity import DEV_PASSWORD, IdentityProvider, accounts, provide_identity
from deploy.local.stack import RunningService, coordinator_token, run_stack, tokens

ROOT = Path(__file__).resolve().parents[2]
PREFERRED_PORTS = {"settlement": 8001, "education": 8002, "employment": 8003, "volunteering": 8004}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--once", action="store_true", help="stop after the scenario instead of waiting for Ctrl-C"
    )
    parser.add_argument(
        "--cohort",
        type=int,
        metavar="N",
        default=0,
        help="then simulate a Billund-sized year: N by quota (86 is Billund's), with family reunification",
    )
    args = parser.parse_args()
    if args.cohort < 0:
        parser.error("--cohort takes a number of newcomers, 0 or more")

    data_dir = ROOT / ".run"
    shutil.rmtree(data_dir, ignore_errors=True)  # a fresh broker each run, so fresh stores too
    print("Starting Kafka and the identity provider …", flush=True)
    with provide_kafka() as kafka, provide_identity() as identity:
        print(f"Kafka: {kafka.bootstrap_servers} ({kafka.provider})", flush=True)
        print(f"Identity provider: {identity.issuer} ({identity.provider})", flush=True)
        print("Starting the four services …", flush=True)
        agency_tokens = tokens(identity)
        with run_stack(kafka=kafka, data_dir=data_dir, identity=identity, ports=_ports()) as stack:
            with scenario.agencies(stack, identity) as staff:
                today = date.today()
                print("\nBefore anyone arrives:")
                setup = scenario.set_up(staff, today)
                print("\nSettled today:")
                scenario.settle_newcomers(staff, today)
                took = scenario.wait_for_other_agencies(staff)
                print(f"  all agencies updated {took:.2f}s after the last settlement")
                print("\nThe day's work:")
                scenario.placed_with_mentors(staff, setup, today)
                scenario.matched_with_volunteers(staff, setup, today)
                scenario.absence_alert(staff, setup, today)
                scenario.family_moves(staff, today)
                scenario.journeys(staff)
                ids = staff.ids
            _report(stack, agency_tokens, data_dir)
            _how_to_log_in(identity)
            _clocks(stack["settlement"], coordinator_token(identity), ids["Amira"])
            _worklists(stack, agency_tokens, coordinator_token(identity))
            _grants(stack["settlement"], coordinator_token(identity))
            if args.cohort:
                with scenario.agencies(stack, identity) as staff:
                    cohort.simulate(staff, args.cohort, date.today())
            _web_app(stack)
            if args.once:
                return
            print("\nRunning. Press Ctrl-C to stop everything.", flush=True)
            try:
                while all(s.process.poll() is None for s in stack.values()):
                    time.sleep(0.5)
                print("A service stopped; see its log in .run/. Stopping the rest.", file=sys.stderr)
            except KeyboardInterrupt:
                print("\nStopping …", flush=True)


WEB_PAGES = {
    "settlement": "the coordinator's dashboard and journeys; the register: register, settle, hand over",
    "education": "courses with a whole session's attendance, learners, tests, placing in a course",
    "employment": "cases: competence mapping, placements with a mentor, follow-ups",
    "volunteering": "match requests, volunteers ranked with their reasons, matches",
}


def _web_app(stack: dict[str, RunningService]) -> None:
    """Where staff work in a browser, and as whom to log in there."""
    print(
        "\nStaff web app: open an agency's address, log in with one of its accounts "
        f"(password {DEV_PASSWORD!r})."
    )
    by_role: dict[str, dict[str, list[str]]] = {}
    for user in accounts():
        by_role.setdefault(user["agency"], {}).setdefault(user["role"], []).append(user["username"])
    for name, service in stack.items():
        print(f"  {name:<13} {service.url}/app/")
        print(f"  {'':<13} {WEB_PAGES[name]}; the worklist")
        for role, usernames in by_role.get(name, {}).items():
            print(f"  {'':<13} as {role}: {', '.join(usernames)}")
    print("  Languages: bokmål, Danish, English (from the browser, or the menu on every page).")


def _ports() -> dict[str, int]:
    def free(port: int) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) != 0

    return {name: port for name, port in PREFERRED_PORTS.items() if free(port)}


def _client(service: RunningService, token: str) -> httpx.Client:
    return httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


HIDDEN = {"opened_at", "registered_at", "education_level", "arrival_route", "birth_date", "follow_ups"}
HELD = {
    "settlement": "/newcomers",
    "education": "/learners",
    "employment": "/cases",
    "volunteering": "/match-requests",
}


def _report(stack: dict[str, RunningService], agency_tokens: dict[str, str], data_dir: Path) -> None:
    print("\nAPIs (OpenAPI docs at /docs, event catalogue at /asyncapi.json):")
    for name, service in stack.items():
        print(f"  {name:<13} {service.url}")
    print("\nWhat each agency holds now:")
    for name, path in HELD.items():
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


def _clocks(settlement: RunningService, token: str, newcomer_id: str) -> None:
    """The statutory clocks of the first newcomer, from settlement's coordination."""
    print("\nAmira Haddad's statutory clocks (GET /coordination/newcomers/{id}/clocks):")
    with _client(settlement, token) as api:
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
        for place in scenario.MUNICIPALITIES:
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
