"""Match requests from three sources: a consenting newcomer's settlement, a consenting
household's child, and the job centre asking for a language mentor for a placement."""

from shared.contracts.events.employment import LanguageMentorRequested
from shared.contracts.events.settlement import AgeGroup, HouseholdMemberAdded, NewcomerSettled
from shared.contracts.events.volunteering import MatchKind, MatchRequestOpened
from shared.runtime.routing import NotForUs
from shared.runtime.store import new_row
from shared.runtime.worklist import Worklist

from ..models import MatchRequest, Newcomer
from ..store import VolunteeringStore


def consents(event: NewcomerSettled) -> bool:
    """Whether a settled newcomer agreed to volunteer contact; nothing about the others lands here."""
    return event.volunteer_contact_consent


async def on_settled(store: VolunteeringStore, event: NewcomerSettled) -> MatchRequest | None:
    """A consenting adult gets a friend request, a consenting child a leisure buddy request."""
    if not consents(event):
        raise NotForUs
    where = {
        "municipality_code": event.municipality_code,
        "district": event.district,
        "age_group": event.age_group,
    }
    newcomer = await store.get_newcomer(event.newcomer_id)
    if newcomer is None:  # the common case: built at a tenth of the constructor's cost
        newcomer = new_row(Newcomer, id=event.newcomer_id, household_id=event.household_id, **where)
        store.add(newcomer)
    else:
        newcomer.sqlmodel_update({**where, "household_id": event.household_id or newcomer.household_id})
    return await open_request(store, newcomer, kind_for(event.age_group), source="settlement")


def kind_for(age_group: AgeGroup) -> MatchKind:
    return MatchKind.FRIEND if age_group is AgeGroup.ADULT else MatchKind.LEISURE_BUDDY


async def on_household_member(store: VolunteeringStore, event: HouseholdMemberAdded) -> MatchRequest | None:
    """A child joining a consenting household is offered leisure and sports."""
    newcomer = await store.get_newcomer(event.newcomer_id)
    if newcomer is not None:
        newcomer.household_id = event.household_id
    if event.age_group is not AgeGroup.CHILD or not event.household_consents_to_volunteer_contact:
        if newcomer is None:
            raise NotForUs
        return None
    family = [m for m in await store.household(event.household_id) if m.municipality_code]
    if not family:
        raise NotForUs  # the consenting relatives are not known here (yet); settlement will tell
    if newcomer is None:
        newcomer = Newcomer(id=event.newcomer_id, household_id=event.household_id, consent_via_household=True)
        store.add(newcomer)
    newcomer.age_group = event.age_group
    newcomer.municipality_code = family[0].municipality_code
    newcomer.district = family[0].district
    return await open_request(store, newcomer, MatchKind.LEISURE_BUDDY, source="household")


async def on_mentor_requested(
    store: VolunteeringStore, event: LanguageMentorRequested
) -> MatchRequest | None:
    """The job centre asks for a language mentor; only a consenting newcomer can have one."""
    newcomer = await store.get_newcomer(event.newcomer_id)
    if newcomer is None:
        raise NotForUs
    request = await open_request(store, newcomer, MatchKind.LANGUAGE_MENTOR, source="employment")
    if request is not None:
        request.municipality_code = event.municipality_code
        request.occupation_code = event.occupation_code
        request.placement_id = event.placement_id
        request.languages = sorted({*request.languages, *event.languages})
    return request


async def open_request(
    store: VolunteeringStore, newcomer: Newcomer, kind: MatchKind, *, source: str
) -> MatchRequest | None:
    if await store.open_request(newcomer.id, kind) is not None or newcomer.municipality_code is None:
        return None
    request = new_row(
        MatchRequest,
        newcomer_id=newcomer.id,
        kind=kind,
        source=source,
        municipality_code=newcomer.municipality_code,
        district=newcomer.district,
        languages=list(newcomer.languages),
    )
    store.add(request)
    store.emit(
        MatchRequestOpened(
            newcomer_id=newcomer.id, request_id=request.id, kind=kind, opened_on=request.opened_at.date()
        )
    )
    await task_for(store, request, new=True)
    return request


MATCH_REQUEST = "match_request"


async def task_for(store: VolunteeringStore, request: MatchRequest, *, new: bool = False) -> None:
    """An open request is a task for the organisations working where the newcomer lives: find someone.
    No law sets it a date; the oldest come first among the undated."""
    await Worklist(store).raise_task(
        newcomer_id=request.newcomer_id,
        municipality_code=request.municipality_code,
        kind=MATCH_REQUEST,
        reference=str(request.id),
        source=MatchRequestOpened.type,
        title=f"Find a {request.kind.replace('_', ' ')}: request opened on {request.opened_at.date()}.",
        due_on=None,
        new=new,
    )
