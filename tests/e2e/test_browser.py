"""Staff at work in a real headless Chromium: each role logs in at the identity provider, does a day's
work in its agency's pages, and the coordinator's dashboard shows what the APIs say.

Every page a test opens is checked with axe-core (no serious or critical violation) and
photographed; the screenshots and axe reports are written to `.run/artefacts/browser/`.
"""

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from deploy.local.broker import KafkaEndpoint
from deploy.local.identity import DEV_PASSWORD, IdentityProvider
from deploy.local.stack import RunningService, coordinator_token, run_stack
from tests import scenario
from tests.e2e.staff import staff_clients, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.e2e, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / ".run" / "artefacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",  # the suite may run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}
SERIOUS = {"serious", "critical"}
COURSE = {
    "name": "Norsk A1–B1, dagtid",
    "language": "nb",
    "track": "classroom",
    "hours_per_week": 15,
    "capacity": 12,
    "municipality_code": "3405",
    "district": "Lillehammer sentrum",
    "starts_on": "2026-01-05",
    "ends_on": "2027-06-30",
}
EMPLOYER = {
    "name": "Lillehammer helsehus",
    "organisation_number": "912345678",
    "municipality_code": "3405",
    "sector": "health and care",
}


@pytest.fixture(scope="module")
def platform(
    kafka: KafkaEndpoint, identity: IdentityProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The four services with Lillehammer's refugee office at work: a newcomer settled in March (whose
    three-month clocks have run out, so the refugee office and the job centre have tasks) and one
    settled in November (the Red Cross has a request to find them a friend)."""
    with (
        run_stack(
            kafka=kafka,
            data_dir=tmp_path_factory.mktemp("browser"),
            identity=identity,
            topic_prefix=f"web{uuid4().hex[:8]}.",
        ) as stack,
        staff_clients(stack, identity) as api,
    ):
        chapter = (
            api["volunteering"].post("/organisations", json=scenario.red_cross("3405")).raise_for_status()
        )
        api["volunteering"].post(
            "/volunteers",
            json={
                "organisation_id": chapter.json()["id"],
                "name": "Ingrid Haugen",
                "languages": ["nb", "ti"],
                "interests": ["hiking"],
                "age_band": "30-44",
                "district": "Søre Ål",
                "hours_per_month": 12,
                "roles": ["friend"],
                "max_active_matches": 3,
            },
        ).raise_for_status()
        api["education"].post("/courses", json=COURSE).raise_for_status()
        employer = api["employment"].post("/employers", json=EMPLOYER).raise_for_status().json()
        for place in (scenario.LILLEHAMMER, scenario.OSLO):
            api["settlement"].post("/municipalities", json=place).raise_for_status()
        api["settlement"].put("/municipalities/3405/quotas/2026", json={"requested": 25}).raise_for_status()
        newcomers = []
        for given, settled_on in (("Yonas", "2026-03-02"), ("Senait", "2026-11-02")):
            person = scenario.person(
                given, "Tesfaye", country_of_origin="ER", registered_in="3405", languages=["ti"]
            )
            newcomer = api["settlement"].post("/newcomers", json=person).raise_for_status().json()
            api["settlement"].post(
                f"/newcomers/{newcomer['id']}/settlement",
                json={"municipality_code": "3405", "district": "Søre Ål", "settled_on": settled_on},
            ).raise_for_status()
            newcomers.append(newcomer["id"])
        coordinator = {"Authorization": f"Bearer {coordinator_token(identity)}"}
        # Each agency has heard of both before the sweep raises the clocks' tasks.
        wait_for(lambda: all(_ok(api["employment"].get(f"/cases/{n}")) for n in newcomers))
        wait_for(lambda: len(api["volunteering"].get("/worklist").json()["items"]) == 2)
        api["settlement"].post("/coordination/sweeps", headers=coordinator).raise_for_status()
        wait_for(lambda: api["employment"].get("/worklist").json()["items"])
        wait_for(
            lambda: api["education"].get("/learners", params={"status": "enrolled"}).json()["total"] == 2
        )
        yield {
            "stack": stack,
            "api": api,
            "newcomers": newcomers,
            "identity": identity,
            "coordinator": coordinator,
            "employer": employer,
        }


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = os.environ.get("SAMVIRKE_CHROMIUM") or shutil.which("chromium")
    assert executable, "no chromium: `make chromium` installs Debian's package"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        yield _launch(playwright, executable)


def _launch(playwright: Playwright, executable: str) -> Browser:
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


def _context(browser: Browser, *, locale: str = "en-GB", viewport: dict[str, int] = LAPTOP) -> BrowserContext:
    """A browser profile that may reach this machine only: nothing is loaded from the internet."""
    context = browser.new_context(locale=locale, viewport=viewport)
    context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/]|localhost[:/])"), lambda route: route.abort())
    return context


def _log_in(context: BrowserContext, service: RunningService, username: str, path: str = "/app/") -> Page:
    page = context.new_page()
    page.goto(service.url + path)
    assert "/protocol/openid-connect/auth" in page.url, page.url  # sent to the identity provider
    page.fill("#username", username)
    page.fill("#password", DEV_PASSWORD)
    page.click("#kc-login")
    page.wait_for_url(f"{service.url}/app/**")
    return page


def _checked(page: Page, name: str) -> dict[str, Any]:
    """axe-core on the page as it is now, the report and a screenshot kept; fails on a serious finding."""
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)
    report = Axe().run(page).response
    (ARTEFACTS / f"{name}.axe.json").write_text(json.dumps(report["violations"], indent=2))
    serious = [(v["id"], v["impact"], v["help"]) for v in report["violations"] if v["impact"] in SERIOUS]
    assert not serious, f"{name}: {serious}"
    return report


def _ok(response: httpx.Response) -> dict | None:
    return response.json() if response.status_code == 200 else None


def test_the_red_cross_organiser_takes_a_request_and_marks_it_done(platform: dict, browser: Browser) -> None:
    api = platform["api"]["volunteering"]
    with _context(browser) as context:
        page = _log_in(context, platform["stack"]["volunteering"], "redcross-organiser")
        expect(page.locator("h1")).to_have_text("Worklist")
        _checked(page, "volunteering-worklist-mine")
        page.select_option("#assignee", "none")
        page.select_option("#due", "all")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("p.count")).to_have_text("2 tasks")
        _checked(page, "volunteering-worklist-unassigned")

        row = page.locator("tr", has_text=platform["newcomers"][0][:8])
        row.get_by_role("button", name=re.compile(r"^Take: Find a friend")).click()
        expect(page.locator("p.count")).to_have_text("1 task")  # still the unassigned ones
        # The suite's volunteering client is the same organiser's.
        mine = wait_for(lambda: api.get("/worklist", params={"assignee": "me"}).json()["items"])
        assert len(mine) == 1
        assert mine[0]["status"] == "open"

        page.select_option("#assignee", "me")
        page.get_by_role("button", name="Show").click()
        page.get_by_role("button", name=re.compile(r"^Done: Find a friend")).click()
        expect(page.locator("p.count")).to_have_text("0 tasks")
        [task] = api.get("/worklist", params={"assignee": "me", "status": "done"}).json()["items"]
        assert task["id"] == mine[0]["id"]
        assert task["status"] == "done"
        assert task["closed_by"] == mine[0]["assignee"]
        assert [h["action"] for h in task["history"]][-2:] == ["assigned", "done"]


def test_the_red_cross_organiser_matches_a_newcomer_with_the_best_ranked_volunteer(
    platform: dict, browser: Browser
) -> None:
    api = platform["api"]["volunteering"]
    senait = platform["newcomers"][1]
    with _context(browser) as context:
        page = _log_in(context, platform["stack"]["volunteering"], "redcross-organiser", "/app/requests")
        expect(page.locator("h1")).to_have_text("Match requests")
        _checked(page, "volunteering-requests")
        page.get_by_role("link", name=f"Newcomer {senait[:8]}").click()  # no name: not shared with them
        candidate = page.locator("#candidates tr", has_text="Ingrid Haugen")
        expect(candidate).to_contain_text("speaks ti")  # the reasons of the score are shown
        expect(candidate).to_contain_text("lives in Søre Ål")
        _checked(page, "volunteering-request")
        candidate.get_by_role("button", name="Propose Ingrid Haugen").click()
        expect(page.locator("#request-status")).to_have_text("matched")
        expect(page.locator("#matches .match-status")).to_have_text("proposed")
        page.get_by_role("button", name="Both said yes").click()
        expect(page.locator("#matches .match-status")).to_have_text("accepted")
        _checked(page, "volunteering-request-matched")
    [match] = api.get("/matches", params={"status": "accepted"}).json()["items"]
    assert match["newcomer_id"] == senait
    # The request's task closed itself: the duty it stood for is met.
    tasks = api.get("/worklist", params={"newcomer_id": senait, "status": "done"}).json()["items"]
    assert [t["kind"] for t in tasks] == ["match_request"]


def test_the_teacher_records_a_whole_session_and_a_test(platform: dict, browser: Browser) -> None:
    api = platform["api"]["education"]
    yonas, senait = platform["newcomers"]
    with _context(browser) as context:
        page = _log_in(context, platform["stack"]["education"], "lillehammer-teacher", "/app/courses")
        _checked(page, "education-courses")
        page.fill("#course-name", "Norsk på arbeidsplassen")
        page.select_option("#course-track", "work_integrated")
        page.fill("#course-district", "Lillehammer sentrum")
        page.fill("#course-capacity", "10")
        page.fill("#course-ends_on", "2027-06-30")
        page.get_by_role("button", name="Open the course").click()  # without its hours a week: refused
        expect(page.locator("#course-hours_per_week-error")).to_be_visible()
        expect(page.locator("#course-name")).to_have_value("Norsk på arbeidsplassen")
        _checked(page, "education-course-refused")
        page.fill("#course-hours_per_week", "7,5")  # as a Norwegian types it
        page.get_by_role("button", name="Open the course").click()
        expect(page.locator("h1")).to_have_text("Norsk på arbeidsplassen")
        opened = api.get(f"/courses/{_course_id(api, 'Norsk på arbeidsplassen')}").json()
        assert (opened["track"], opened["hours_per_week"], opened["capacity"]) == ("work_integrated", 7.5, 10)
        page.goto(f"{platform['stack']['education'].url}/app/courses")
        page.get_by_role("link", name=COURSE["name"]).click()
        expect(page.locator("#register tbody tr")).to_have_count(2)
        _checked(page, "education-course")
        page.fill("#session_on", "2026-12-01")
        page.select_option(f"#mark-{yonas}", "sick")
        page.get_by_role("button", name="Record attendance").click()
        expect(page.locator("#recorded")).to_contain_text("Attendance of Dec 1, 2026 recorded.")
        rates = {r["newcomer_id"]: r for r in api.get(f"/courses/{_course_id(api)}/absence").json()}
        assert (rates[yonas]["absent"], rates[senait]["absent"]) == (1, 0)
        assert rates[yonas]["sessions"] == rates[senait]["sessions"] == 1

        page.goto(f"{platform['stack']['education'].url}/app/learners/{senait}")
        page.select_option("#assessment-skill", "speaking")
        page.select_option("#assessment-level", "A2")
        page.fill("#assessment-tested_on", "2031-01-01")  # in the future: refused
        page.get_by_role("button", name="Record the test").click()
        expect(page.locator("[role=alert]")).to_contain_text("future")
        _checked(page, "education-learner-refused")
        page.fill("#assessment-tested_on", "2026-12-01")
        page.get_by_role("button", name="Record the test").click()
        expect(page.locator("#tests tbody tr")).to_have_count(1)
        _checked(page, "education-learner")
    assert api.get(f"/learners/{senait}").json()["skills"] == {"speaking": "A2"}


def test_a_session_can_be_recorded_with_the_keyboard_alone(platform: dict, browser: Browser) -> None:
    """Tab from the top of the page to the form's button, every stop visibly focused, then Enter."""
    course_id = _course_id(platform["api"]["education"])
    with _context(browser) as context:
        page = _log_in(
            context, platform["stack"]["education"], "lillehammer-teacher", f"/app/courses/{course_id}"
        )
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        stops = []
        for _ in range(40):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
                " return [e.tagName, e.id || e.textContent.trim(), s.outlineStyle, s.outlineWidth]; })()"
            )
            stops.append(focused[:2])
            assert focused[2] != "none", f"no visible focus on {focused}"
            if focused[1] == "Record attendance":
                break
        else:
            raise AssertionError(f"the button was not reached: {stops}")
        assert ["INPUT", "session_on"] in stops  # the form's fields are on the way, in order
        assert sum(1 for tag, _ in stops if tag == "SELECT") == 2  # a reason per learner
        page.keyboard.press("Enter")
        expect(page.locator("#recorded")).to_contain_text("recorded")


def _course_id(api: httpx.Client, name: str = COURSE["name"]) -> str:
    [course] = [c for c in api.get("/courses").json()["items"] if c["name"] == name]
    return str(course["id"])


def test_the_caseworker_maps_competences_and_the_overdue_task_closes_itself(
    platform: dict, browser: Browser
) -> None:
    api = platform["api"]["employment"]
    yonas = platform["newcomers"][0]
    employment = platform["stack"]["employment"]
    with _context(browser) as context:
        page = _log_in(context, employment, "lillehammer-caseworker")
        page.select_option("#due", "all")
        page.select_option("#assignee", "all")
        page.get_by_role("button", name="Show").click()
        row = page.locator("tr", has_text="Competence mapping within 3 months")
        expect(row.locator("strong.late")).to_have_text("overdue")
        _checked(page, "employment-worklist")
        row.get_by_role("button", name=re.compile(r"^Start:")).click()
        row = page.locator("tr", has_text="Competence mapping within 3 months")
        expect(row.locator("td").nth(2)).to_have_text("in progress")

        row.get_by_role("link").click()  # to the newcomer's case
        page.wait_for_url(f"**/app/cases/{yonas}")
        _checked(page, "employment-case")
        page.select_option("#mapping-education_level", "secondary")
        page.fill("#mapping-occupation_code", "53")  # not a four-digit ISCO-08 code
        page.fill("#mapping-years", "4")
        page.get_by_role("button", name="Record the mapping").click()
        expect(page.locator("#mapping-occupation_code-error")).to_be_visible()
        expect(page.locator("#mapping-occupation_code")).to_have_attribute("aria-invalid", "true")
        _checked(page, "employment-case-refused")
        page.fill("#mapping-occupation_code", "5322")
        page.get_by_role("button", name="Record the mapping").click()
        expect(page.locator("#mapping-status")).to_have_text("done")

        page.fill("#placements-hours_per_week", "20")
        page.fill("#placements-professional_mentor", "Kari Nordmann")
        page.get_by_role("button", name="Start the placement").click()
        expect(page.locator("#placement-list")).to_contain_text("Kari Nordmann")
        page.get_by_role("button", name="Record the follow-up").click()
        expect(page.locator("#follow-up-list tbody tr")).to_have_count(1)
        _checked(page, "employment-case-done")
    assert api.get(f"/cases/{yonas}/mapping").json()["work_experience"] == [
        {"occupation_code": "5322", "years": 4.0}
    ]
    # The next sweep finds the clock met, and the job centre's task closes itself.
    settlement = platform["stack"]["settlement"]
    httpx.post(f"{settlement.url}/coordination/sweeps", headers=platform["coordinator"]).raise_for_status()
    closed = wait_for(
        lambda: api.get("/worklist", params={"newcomer_id": yonas, "status": "done"}).json()["items"]
    )
    assert [(t["reference"], t["closed_by"]) for t in closed] == [("no.competence-mapping", "samvirke")]


def test_the_officer_registers_settles_and_hands_a_newcomer_over(platform: dict, browser: Browser) -> None:
    with _context(browser) as context:
        page = _log_in(context, platform["stack"]["settlement"], "lillehammer-officer", "/app/newcomers")
        expect(page.locator("h1")).to_have_text("Newcomers")
        _checked(page, "settlement-newcomers")
        page.fill("#f-given_name", "Hiwet")
        page.fill("#f-family_name", "Berhane")
        page.fill("#f-birth_date", "1990-04-01")
        page.select_option("#f-sex", "female")
        page.fill("#f-country_of_origin", "Eritrea")  # not a two-letter code: the API refuses it
        page.get_by_role("button", name="Register").click()
        error = page.locator("#f-country_of_origin-error")
        expect(error).to_be_visible()
        expect(page.locator("#f-country_of_origin")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#f-given_name")).to_have_value("Hiwet")  # what was typed is kept
        _checked(page, "settlement-register-refused")

        page.fill("#f-country_of_origin", "ER")
        page.get_by_role("button", name="Register").click()
        page.wait_for_url(re.compile(r"/app/newcomers/[0-9a-f-]{36}$"))
        newcomer_id = page.url.rsplit("/", 1)[1]
        expect(page.locator("main")).to_contain_text("Hiwet")
        _checked(page, "settlement-newcomer")
        registered = platform["api"]["settlement"].get(f"/newcomers/{newcomer_id}").json()
        assert (registered["given_name"], registered["country_of_origin"]) == ("Hiwet", "ER")

        page.fill("#settlement-district", "Nordre Ål")  # not one of Lillehammer's districts
        page.get_by_role("button", name="Settle").click()
        expect(page.locator("[role=alert]")).to_contain_text("Nordre Ål")
        _checked(page, "settlement-settle-refused")
        page.fill("#settlement-district", "Lillehammer sentrum")
        page.get_by_role("button", name="Settle").click()
        expect(page.locator("main")).to_contain_text("Handovers to another municipality")
        page.fill("#handover-to_municipality_code", "0301")
        page.fill("#handover-reason", "a job in Oslo")
        page.get_by_role("button", name="Request a handover").click()
        expect(page.locator("#handover-list .handover-status")).to_have_text("requested")
        _checked(page, "settlement-handover-requested")

    # Oslo's officer (here the region's, who serves both) accepts and completes the move.
    with _context(browser) as context:
        page = _log_in(
            context, platform["stack"]["settlement"], "region-officer", f"/app/newcomers/{newcomer_id}"
        )
        page.locator("#handover-list input[name=to_district]").fill("Grorud")
        page.get_by_role("button", name="Accept").click()
        expect(page.locator("#handover-list .handover-status")).to_have_text("accepted")
        page.get_by_role("button", name="The move is done").click()
        expect(page.locator("#handover-list .handover-status")).to_have_text("completed")
        _checked(page, "settlement-handover-completed")
    moved = platform["api"]["settlement"].get(f"/newcomers/{newcomer_id}").json()
    assert (moved["status"], moved["municipality_code"], moved["district"]) == ("settled", "0301", "Grorud")


def test_the_coordinators_dashboard_shows_what_the_api_says(platform: dict, browser: Browser) -> None:
    identity = platform["identity"]
    headers = {"Authorization": f"Bearer {identity.token('lillehammer-coordinator')}"}
    settlement = platform["stack"]["settlement"]
    kpis = httpx.get(f"{settlement.url}/coordination/kpis/3405/2026", headers=headers).json()
    clocks = httpx.get(
        f"{settlement.url}/coordination/clocks",
        params={"municipality_code": "3405", "status": "breached"},
        headers=headers,
    ).json()
    assert kpis["settled"] >= 2
    assert clocks
    with _context(browser) as context:
        page = _log_in(context, settlement, "lillehammer-coordinator")
        page.wait_for_url("**/app/dashboard")
        _checked(page, "settlement-dashboard")

        def shown() -> dict[str, str]:
            return {
                "settled": page.locator("#settled").inner_text(),
                "settled_by_quota": page.locator("#settled-by-quota").inner_text(),
                **{
                    agency: page.locator(f"#per-agency tr[data-agency={agency}] td.breached").inner_text()
                    for agency in ("settlement", "education", "employment", "volunteering")
                },
            }

        def said() -> dict[str, str]:
            kpis = httpx.get(f"{settlement.url}/coordination/kpis/3405/2026", headers=headers).json()
            clocks = httpx.get(
                f"{settlement.url}/coordination/clocks",
                params={"municipality_code": "3405", "status": "breached"},
                headers=headers,
            ).json()
            return {
                "settled": str(kpis["settled"]),
                "settled_by_quota": str(kpis["settled_by_quota"]),
                **{
                    agency: str(sum(1 for c in clocks if c["agency"] == agency))
                    for agency in ("settlement", "education", "employment", "volunteering")
                },
            }

        # The same figures as the API's at the same moment (other tests may still be moving them).
        def agree() -> bool:
            page.reload()
            return shown() == said()

        wait_for(agree)
        assert int(shown()["employment"]) + int(shown()["settlement"]) >= 1

        page.goto(f"{settlement.url}/app/newcomers/{platform['newcomers'][0]}")
        expect(page.locator("#journey")).to_contain_text("settled in the municipality")
        expect(page.locator("#clocks")).to_contain_text("Competence mapping")
        assert "Yonas" not in page.locator("main").inner_text()  # the coordinator sees no names
        _checked(page, "settlement-journey")

    with _context(browser, viewport=TABLET) as context:
        page = _log_in(context, settlement, "lillehammer-coordinator")
        page.wait_for_url("**/app/dashboard")
        _checked(page, "settlement-dashboard-tablet")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the dashboard is {overflow}px wider than a tablet"


@pytest.mark.parametrize(
    ("locale", "heading", "log_out"),
    [("nb-NO", "Oversikt", "Logg ut"), ("da-DK", "Overblik", "Log ud")],
)
def test_the_pages_speak_the_browsers_language_and_switch_on_request(
    platform: dict, browser: Browser, locale: str, heading: str, log_out: str
) -> None:
    settlement = platform["stack"]["settlement"]
    with _context(browser, locale=locale) as context:
        page = _log_in(context, settlement, "lillehammer-coordinator")
        expect(page.locator("h1")).to_have_text(heading)
        assert page.locator("html").get_attribute("lang") == locale[:2]
        expect(page.get_by_role("button", name=log_out)).to_be_visible()
        _checked(page, f"settlement-dashboard-{locale[:2]}")
        page.select_option("#lang", "en")
        page.locator("form.language button").click()
        expect(page.locator("h1")).to_have_text("Dashboard")
        page.reload()
        expect(page.locator("h1")).to_have_text("Dashboard")  # the choice is kept


def test_logging_out_ends_the_session_here_and_at_the_identity_provider(
    platform: dict, browser: Browser
) -> None:
    education = platform["stack"]["education"]
    with _context(browser) as context:
        page = _log_in(context, education, "lillehammer-teacher")
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{education.url}/app/logged-out")
        _checked(page, "education-logged-out")
        page.goto(education.url + "/app/worklist")
        # Sent to log in again, at the provider too: its session ended with ours.
        expect(page.locator("#username")).to_be_visible()
        host = urlsplit(page.url)
        assert host.path.endswith("/protocol/openid-connect/auth")


def test_the_api_documents_open_without_the_internet(platform: dict, browser: Browser) -> None:
    service = platform["stack"]["volunteering"]
    with _context(browser) as context:
        page = context.new_page()
        outside = []
        # ReDoc's "powered by" logo is an image from its CDN; nothing else may come from outside.
        page.on(
            "requestfailed",
            lambda request: request.resource_type == "image" or outside.append(request.url),
        )
        page.goto(service.url + "/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("volunteering", ignore_case=True)
        page.goto(service.url + "/redoc")
        expect(page.locator("redoc h1, [role=main] h1").first).to_be_visible()
        page.goto(service.url + "/asyncapi")
        expect(page.locator("main")).to_contain_text("AsyncAPI")
        _checked(page, "volunteering-asyncapi")
        assert not outside, outside
