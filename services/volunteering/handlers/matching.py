"""Explainable matching, and a match's life: proposed → accepted → active → ended (with a reason)."""

from datetime import date, timedelta
from uuid import UUID

from shared.contracts.events.employment import PlacementEnded
from shared.contracts.events.volunteering import FriendMatched, LanguageMentorMatched, MatchEnded, MatchKind
from shared.errors import Conflict, Invalid, NotFound
from shared.runtime.worklist import Worklist

from ..models import (
    BACKGROUND_CHECK_VALID_YEARS,
    CHILD_KINDS,
    Candidate,
    HoursCreate,
    HoursLog,
    Match,
    MatchRequest,
    MatchStatus,
    RequestStatus,
    ScorePart,
    Volunteer,
)
from ..store import VolunteeringStore
from .requests import MATCH_REQUEST, task_for

HOURS_NEEDED = {  # a friend meets about eight hours a month ("Venner Viser Vej")
    MatchKind.FRIEND: 8,
    MatchKind.LANGUAGE_MENTOR: 4,
    MatchKind.LEISURE_BUDDY: 4,
    MatchKind.HOMEWORK_HELPER: 4,
}


def background_check_valid(volunteer: Volunteer, on: date) -> bool:
    checked = volunteer.background_check_on
    return checked is not None and checked >= on - timedelta(days=365 * BACKGROUND_CHECK_VALID_YEARS)


async def rank(store: VolunteeringStore, request: MatchRequest, on: date) -> list[Candidate]:
    """Volunteers who may take the request, best first, each score broken into its parts."""
    pool = await store.volunteers_in(request.municipality_code)
    loads = await store.loads([v.id for v, _ in pool])
    candidates = []
    for volunteer, organisation in pool:
        load = loads.get(volunteer.id, 0)
        if request.kind not in volunteer.roles or load >= volunteer.max_active_matches:
            continue
        if request.kind in CHILD_KINDS and not background_check_valid(volunteer, on):
            continue
        parts = _score(request, volunteer, load)
        candidates.append(
            Candidate(
                volunteer_id=volunteer.id,
                name=volunteer.name,
                organisation_id=organisation.id,
                score=round(sum(p.points for p in parts), 2),
                parts=parts,
            )
        )
    return sorted(candidates, key=lambda c: (-c.score, c.name))


def _score(request: MatchRequest, volunteer: Volunteer, load: int) -> list[ScorePart]:
    parts = []
    shared = sorted(set(request.languages) & set(volunteer.languages))
    if shared:
        parts.append(ScorePart(part="language", points=3, why=f"speaks {', '.join(shared)}"))
    interests = sorted({i.lower() for i in request.interests} & {i.lower() for i in volunteer.interests})
    if interests:
        parts.append(
            ScorePart(part="interests", points=min(len(interests), 3), why=f"shares {', '.join(interests)}")
        )
    if request.kind is MatchKind.LANGUAGE_MENTOR and request.occupation_code and volunteer.occupation_code:
        if volunteer.occupation_code == request.occupation_code:
            parts.append(
                ScorePart(part="occupation", points=3, why=f"works as {volunteer.occupation_code} too")
            )
        elif volunteer.occupation_code[:2] == request.occupation_code[:2]:
            parts.append(ScorePart(part="occupation", points=1, why="works in a related occupation"))
    if request.district and volunteer.district == request.district:
        parts.append(ScorePart(part="district", points=2, why=f"lives in {volunteer.district}"))
    if request.preferred_age_band and volunteer.age_band == request.preferred_age_band:
        parts.append(ScorePart(part="age band", points=1, why=f"is {volunteer.age_band}"))
    needed = HOURS_NEEDED[request.kind]
    if volunteer.hours_per_month >= needed:
        parts.append(
            ScorePart(part="availability", points=1, why=f"{volunteer.hours_per_month:g} h/month ≥ {needed}")
        )
    else:
        parts.append(
            ScorePart(part="availability", points=-2, why=f"{volunteer.hours_per_month:g} h/month < {needed}")
        )
    if load:
        parts.append(ScorePart(part="load", points=-0.5 * load, why=f"{load} active match(es)"))
    return parts


async def propose(store: VolunteeringStore, request_id: UUID, volunteer_id: UUID, on: date) -> Match:
    request = await store.existing(MatchRequest, request_id)
    if request.status is not RequestStatus.OPEN:
        raise Conflict(f"Request {request_id} is {request.status}.")
    volunteer = await store.get_volunteer(volunteer_id)
    if volunteer is None or not volunteer.active:
        raise NotFound("active volunteer", volunteer_id)
    if request.kind not in volunteer.roles:
        raise Invalid(f"{volunteer.name} does not take the role {request.kind}.")
    if request.kind in CHILD_KINDS and not background_check_valid(volunteer, on):
        raise Conflict(
            f"{volunteer.name} needs a background check from the last {BACKGROUND_CHECK_VALID_YEARS} years "
            "to work with children."
        )
    load = (await store.loads([volunteer.id])).get(volunteer.id, 0)
    if load >= volunteer.max_active_matches:
        raise Conflict(f"{volunteer.name} has {load} of at most {volunteer.max_active_matches} matches.")
    ranked = {c.volunteer_id: c.score for c in await rank(store, request, on)}
    match = Match(
        request_id=request.id,
        newcomer_id=request.newcomer_id,
        volunteer_id=volunteer.id,
        kind=request.kind,
        placement_id=request.placement_id,
        score=ranked.get(volunteer.id, 0),
    )
    store.add(match)
    request.status = RequestStatus.MATCHED
    return match


async def accept(store: VolunteeringStore, match_id: UUID, on: date) -> Match:
    match = await _in_status(store, match_id, MatchStatus.PROPOSED, "be accepted")
    match.status = MatchStatus.ACCEPTED
    match.accepted_on = on
    assert match.newcomer_id is not None
    if match.request_id is not None:  # the request's task is done: someone took it
        await Worklist(store).close(match.newcomer_id, MATCH_REQUEST, str(match.request_id), "matched")
    if match.kind is MatchKind.LANGUAGE_MENTOR:
        store.emit(
            LanguageMentorMatched(
                newcomer_id=match.newcomer_id,
                match_id=match.id,
                placement_id=match.placement_id,
                matched_on=on,
            )
        )
    else:
        store.emit(
            FriendMatched(newcomer_id=match.newcomer_id, match_id=match.id, kind=match.kind, matched_on=on)
        )
    return match


async def activate(store: VolunteeringStore, match_id: UUID, on: date) -> Match:
    match = await _in_status(store, match_id, MatchStatus.ACCEPTED, "start")
    match.status = MatchStatus.ACTIVE
    match.activated_on = on
    return match


async def end(store: VolunteeringStore, match_id: UUID, reason: str, on: date) -> Match:
    match = await store.existing(Match, match_id)
    if match.status is MatchStatus.ENDED:
        raise Conflict(f"Match {match_id} ended on {match.ended_on} already.")
    await end_match(store, match, reason, on)
    return match


async def end_match(store: VolunteeringStore, match: Match, reason: str, on: date) -> None:
    """Ends the match; a match that never started gives its request back to the queue."""
    never_started = match.status is MatchStatus.PROPOSED
    match.status = MatchStatus.ENDED
    match.ended_on = on
    match.end_reason = reason
    if match.request_id and (request := await store.get_request(match.request_id)) is not None:
        request.status = RequestStatus.OPEN if never_started else RequestStatus.CLOSED
        if never_started and match.newcomer_id is not None:  # back in the queue: someone else to find
            await task_for(store, request)
    if match.newcomer_id is not None and not never_started:
        store.emit(
            MatchEnded(
                newcomer_id=match.newcomer_id,
                match_id=match.id,
                kind=match.kind,
                ended_on=on,
                hours_logged=await store.hours_of(match.id),
            )
        )


async def log_hours(store: VolunteeringStore, match_id: UUID, data: HoursCreate) -> HoursLog:
    match = await _in_status(store, match_id, MatchStatus.ACTIVE, "log hours")
    if (match.activated_on and data.logged_on < match.activated_on) or data.logged_on > date.today():
        raise Invalid("Hours are logged for days between the match's start and today.")
    entry = HoursLog(match_id=match_id, **data.model_dump())
    store.add(entry)
    return entry


async def on_placement_ended(store: VolunteeringStore, event: PlacementEnded) -> None:
    """The placement a language mentor was for has ended: so has the mentoring."""
    for match in await store.matches_for_placement(event.placement_id):
        await end_match(store, match, "placement ended", event.ended_on)


async def _in_status(store: VolunteeringStore, match_id: UUID, status: MatchStatus, action: str) -> Match:
    match = await store.existing(Match, match_id)
    if match.status is not status:
        raise Conflict(f"Match {match_id} is {match.status}; only a {status} match can {action}.")
    return match
