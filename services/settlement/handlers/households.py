"""Households, and relatives who join them through family reunification."""

from datetime import date
from uuid import UUID

from shared.contracts.events.settlement import ArrivalRoute, ConsentPurpose, HouseholdMemberAdded
from shared.errors import Conflict

from ..models import Household, HouseholdCreate, MemberAdd, Newcomer
from ..store import SettlementStore


async def create_household(store: SettlementStore, data: HouseholdCreate) -> Household:
    if len({m.newcomer_id for m in data.members}) != len(data.members):
        raise Conflict("A newcomer can be a member only once.")
    household = Household()
    store.add(household)
    await store.flush()
    for member in data.members:
        await _join(store, household, member)
    return household


async def add_household_member(store: SettlementStore, household_id: UUID, member: MemberAdd) -> Household:
    household = await store.existing(Household, household_id)
    await _join(store, household, member)
    return household


async def _join(store: SettlementStore, household: Household, member: MemberAdd) -> Newcomer:
    newcomer = await store.existing(Newcomer, member.newcomer_id)
    if newcomer.household_id is not None:
        raise Conflict(
            f"Newcomer {newcomer.id} belongs to household {newcomer.household_id} already.",
            household=f"/households/{newcomer.household_id}",
        )
    newcomer.household_id = household.id
    newcomer.household_relation = member.relation
    await store.flush()  # so the household's consent below counts this member
    store.emit(
        HouseholdMemberAdded(
            newcomer_id=newcomer.id,
            household_id=household.id,
            relation=member.relation,
            age_group=newcomer.age_group_on(newcomer.settled_on or date.today()),
            via_family_reunification=newcomer.arrival_route is ArrivalRoute.FAMILY_REUNIFICATION,
            household_consents_to_volunteer_contact=await store.household_consents(
                household.id, ConsentPurpose.VOLUNTEER_CONTACT
            ),
        )
    )
    return newcomer
