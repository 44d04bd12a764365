"""Server-rendered pages: one Jinja environment per language, escaping on, no asset from elsewhere."""

import functools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from shared.web.staff import i18n

TEMPLATES = Path(__file__).parent / "templates"

# What a page may load: its own service's assets only (no CDN, no inline script).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self' {issuer}; frame-ancestors 'none'; base-uri 'none'"
)


def N_(message: str) -> str:  # noqa: N802  (gettext's name for "translated where shown")
    """Marks `message` for the catalogues; it is translated where a template shows it."""
    return message


AGENCY_TITLES = {
    "settlement": N_("Refugee office"),
    "education": N_("Language school"),
    "employment": N_("Job centre"),
    "volunteering": N_("Volunteering"),
}
ROLE_TITLES = {"staff": N_("staff"), "coordinator": N_("coordinator"), "auditor": N_("auditor")}
STATUS_TITLES = {"open": N_("open"), "in_progress": N_("in progress"), "done": N_("done")}
GROUP_TITLES = {"all": N_("All"), "female": N_("Women"), "male": N_("Men"), "unspecified": N_("Unspecified")}
ROUTE_TITLES = {
    "resettlement": N_("quota refugee (resettlement)"),
    "asylum": N_("asylum"),
    "family_reunification": N_("family reunification"),
}
CLOCK_TITLES = {
    "running": N_("running"),
    "at_risk": N_("at risk"),
    "overdue": N_("overdue"),
    "breached": N_("breached"),
    "met": N_("met"),
    "met_late": N_("met late"),
    "cancelled": N_("cancelled"),
}
EVENT_TITLES = {
    "settlement.newcomer.registered": N_("registered"),
    "settlement.newcomer.settled": N_("settled in the municipality"),
    "settlement.household.member-added": N_("joined a household"),
    "settlement.integration-plan.agreed": N_("integration plan agreed"),
    "settlement.legal-dates.recorded": N_("legal dates recorded"),
    "settlement.health-assessment.offered": N_("health assessment offered"),
    "settlement.handover.requested": N_("handover to another municipality requested"),
    "settlement.handover.completed": N_("moved to another municipality"),
    "settlement.newcomer.departed": N_("departed"),
    "education.learner.enrolled": N_("enrolled in a course"),
    "education.learner.waitlisted": N_("put on a waiting list"),
    "education.level.assessed": N_("language level assessed"),
    "education.absence.unexplained-alert": N_("unexplained absence alert"),
    "education.track.changed": N_("moved to another track"),
    "education.course.completed": N_("completed a course"),
    "employment.case.opened": N_("case opened at the job centre"),
    "employment.mapping.completed": N_("competences mapped"),
    "employment.placement.started": N_("placement started"),
    "employment.placement.ended": N_("placement ended"),
    "employment.follow-up.held": N_("follow-up held"),
    "employment.employment.started": N_("started a job"),
    "employment.education.started": N_("started an education"),
    "volunteering.match-request.opened": N_("volunteer requested"),
    "volunteering.language-mentor.matched": N_("matched with a language mentor"),
    "volunteering.friend.matched": N_("matched with a volunteer"),
}
# A page in the menu: where, its name, and the roles it is for.
DEFAULT_NAVIGATION = [("/app/worklist", N_("Worklist"), {"staff", "auditor"})]


@dataclass(frozen=True)
class AgencyPages:
    """What an agency's service adds to the shared staff pages (login, worklist, language)."""

    router: APIRouter | None = None
    # (path, label marked with N_, the roles that see the link)
    navigation: Sequence[tuple[str, str, Collection[str]]] = tuple(DEFAULT_NAVIGATION)
    templates: Path | None = None  # the agency's own templates, found before the shared ones
    home: Callable[[Any], str] = lambda staff: "/app/worklist"  # where `/app/` leads a staff session
    newcomer_link: str | None = None  # the path a newcomer's id is appended to, if the agency has one


def pages_of(request: Request) -> AgencyPages:
    pages: AgencyPages = getattr(request.app.state, "staff_pages", None) or AgencyPages()
    return pages


KIND_TITLES = {
    "clock": N_("statutory deadline"),
    "gap": N_("registration gap"),
    "absence_alert": N_("absence alert"),
    "match_request": N_("match request"),
}


@functools.cache
def environment(language: str, own: Path | None = None) -> Environment:
    """The templates in `language`: the service's `own` folder first, then the shared ones."""
    env = Environment(
        loader=FileSystemLoader([*([own] if own else []), TEMPLATES]),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def language_of(request: Request) -> str:
    return i18n.choose(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))


def gettext(request: Request, message: str, **values: Any) -> str:
    """`message` in the request's language, with `values` filled in."""
    text = i18n.translations(language_of(request)).gettext(message)
    return text % values if values else text


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """`template` in the request's language, with the staff member's session (if any) in `context`."""
    language = language_of(request)
    session = getattr(request.state, "staff", None)
    agency_pages = pages_of(request)
    page = environment(language, agency_pages.templates).get_template(template)
    html = page.render(
        request=request,
        lang=language,
        languages=i18n.LANGUAGES,
        fmt=i18n.Formats(language),
        staff=session,
        csrf=session.csrf if session else "",
        agency=request.app.state.agency,
        path=request.url.path,
        navigation=[
            (href, label)
            for href, label, roles in agency_pages.navigation
            if session and session.principal.role in roles
        ],
        newcomer_link=agency_pages.newcomer_link,
        agency_titles=AGENCY_TITLES,
        role_titles=ROLE_TITLES,
        status_titles=STATUS_TITLES,
        kind_titles=KIND_TITLES,
        group_titles=GROUP_TITLES,
        route_titles=ROUTE_TITLES,
        clock_titles=CLOCK_TITLES,
        event_title=lambda kind: _event_title(language, kind),
        **context,
    )
    issuer = getattr(request.app.state, "staff_issuer", "")
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY.format(issuer=issuer),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store",  # pages show a person's data: not kept by the browser
            "Content-Language": language,
        },
    )


def _event_title(language: str, kind: str) -> str:
    """An event type as a reader says it: `samvirke.settlement.newcomer.settled.v1` is "settled …"."""
    name = kind.removeprefix("samvirke.").rsplit(".v", 1)[0]
    known = EVENT_TITLES.get(name)
    if known:
        return i18n.translations(language).gettext(known)
    return name.split(".", 1)[-1].replace(".", " ").replace("-", " ")
