"""Volunteering use cases."""

from shared.events.settlement import AgeGroup, NewcomerSettled
from shared.events.volunteering import MatchKind, MatchRequestOpened

from .models import MatchRequest
from .store import VolunteeringStore


async def request_match(store: VolunteeringStore, event: NewcomerSettled) -> MatchRequest | None:
    """A consenting newcomer gets a match request: a friend for adults, a leisure buddy for children.

    Without consent nothing about the newcomer is stored here at all.
    """
    if not event.volunteer_contact_consent:
        return None
    kind = MatchKind.FRIEND if event.age_group is AgeGroup.ADULT else MatchKind.LEISURE_BUDDY
    if await store.find_request(event.newcomer_id, kind) is not None:
        return None
    request = MatchRequest(
        newcomer_id=event.newcomer_id,
        kind=kind,
        municipality_code=event.municipality_code,
        district=event.district,
    )
    store.add_request(request)
    store.emit(
        MatchRequestOpened(
            newcomer_id=event.newcomer_id,
            request_id=request.id,
            kind=kind,
            opened_on=request.opened_at.date(),
        )
    )
    return request
