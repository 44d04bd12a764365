"""Settlement use cases: register a newcomer, settle them in a municipality."""

from uuid import UUID

from shared.events.settlement import NewcomerRegistered, NewcomerSettled
from shared.http import Conflict, NotFound

from .models import Newcomer, NewcomerCreate, NewcomerStatus, SettlementCreate
from .store import SettlementStore


async def register_newcomer(store: SettlementStore, data: NewcomerCreate) -> Newcomer:
    newcomer = Newcomer.model_validate(data)
    store.add_newcomer(newcomer)
    store.emit(NewcomerRegistered(newcomer_id=newcomer.id, registered_on=newcomer.registered_at.date()))
    return newcomer


async def settle_newcomer(store: SettlementStore, newcomer_id: UUID, data: SettlementCreate) -> Newcomer:
    newcomer = await store.get_newcomer(newcomer_id)
    if newcomer is None:
        raise NotFound("newcomer", newcomer_id)
    if newcomer.status is NewcomerStatus.SETTLED:
        raise Conflict(
            f"Newcomer {newcomer_id} was already settled in {newcomer.municipality_code} "
            f"on {newcomer.settled_on}.",
        )
    newcomer.status = NewcomerStatus.SETTLED
    newcomer.municipality_code = data.municipality_code
    newcomer.district = data.district
    newcomer.settled_on = data.settled_on
    store.emit(
        NewcomerSettled(
            newcomer_id=newcomer.id,
            municipality_code=data.municipality_code,
            district=data.district,
            settled_on=data.settled_on,
            age_group=newcomer.age_group_on(data.settled_on),
            volunteer_contact_consent=newcomer.volunteer_contact_consent,
        )
    )
    return newcomer
