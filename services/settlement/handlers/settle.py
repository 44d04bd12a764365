"""Settling newcomers within quota and spread, departures, integration plans, and the reports."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from shared.contracts.events.settlement import (
    AgeGroup,
    ArrivalRoute,
    ConsentPurpose,
    HandoverRevoked,
    HealthAssessmentOffered,
    IntegrationPlanAgreed,
    LegalDatesRecorded,
    NewcomerDeparted,
    NewcomerSettled,
    VolunteerContact,
)
from shared.errors import Conflict, Invalid

from ..models import (
    DepartureCreate,
    DistrictLine,
    DistrictReport,
    HealthAssessmentOffer,
    IntegrationPlan,
    IntegrationPlanSet,
    LegalDates,
    Municipality,
    Newcomer,
    NewcomerStatus,
    QuotaLine,
    Settlement,
    SettlementCreate,
    YearTally,
)
from ..store import SettlementStore
from .register import share_personal_data


@dataclass(frozen=True)
class SpreadGuard:
    """No district takes more than `max_share` of a year's settlements, once there are `from_count`.

    A district beyond its share is refused only where another district would stay within its own: of
    five settlements in two districts at 50 %, one takes three (else such a municipality could settle
    only every other newcomer without an override).
    """

    max_share: float
    from_count: int


async def settle_newcomer(
    store: SettlementStore, newcomer_id: UUID, data: SettlementCreate, guard: SpreadGuard
) -> Newcomer:
    newcomer = await store.existing(Newcomer, newcomer_id)
    if newcomer.status is not NewcomerStatus.REGISTERED:
        where = f" in {newcomer.municipality_code} on {newcomer.settled_on}" if newcomer.settled_on else ""
        raise Conflict(
            f"Newcomer {newcomer_id} is {newcomer.status}{where}; only registered newcomers are settled."
        )
    # Locking the municipality's row serialises its settlements, so the quota and spread
    # hold across service instances (PostgreSQL; SQLite serialises writers anyway).
    municipality = await store.existing(Municipality, data.municipality_code, for_update=True)
    if data.district not in municipality.districts:
        raise Invalid(
            f"{municipality.name} has no district {data.district!r}; "
            f"it has {', '.join(municipality.districts)}."
        )
    await _keep_household_together(store, newcomer, municipality)
    family_reunification = newcomer.arrival_route is ArrivalRoute.FAMILY_REUNIFICATION
    year = data.settled_on.year
    if data.override_reason is None:
        tally = await store.year_tally(municipality.code, year)
        if not family_reunification:  # relatives joining family are not part of the quota
            await _within_quota(store, municipality, year, tally)
        _within_spread(municipality, data.district, year, tally, guard)

    await store.add_settlement(
        Settlement(
            newcomer_id=newcomer.id,
            municipality_code=municipality.code,
            district=data.district,
            settled_on=data.settled_on,
            year=year,
            family_reunification=family_reunification,
            override_reason=data.override_reason,
        ),
        child=newcomer.age_group_on(data.settled_on) is AgeGroup.CHILD,
    )
    newcomer.status = NewcomerStatus.SETTLED
    newcomer.municipality_code = municipality.code
    newcomer.district = data.district
    newcomer.settled_on = data.settled_on
    consents = await store.consents_in_force(newcomer.id)
    store.emit(
        NewcomerSettled(
            newcomer_id=newcomer.id,
            municipality_code=municipality.code,
            district=data.district,
            settled_on=data.settled_on,
            age_group=newcomer.age_group_on(data.settled_on),
            volunteer_contact_consent=ConsentPurpose.VOLUNTEER_CONTACT in consents,
            arrival_route=newcomer.arrival_route,
            household_id=newcomer.household_id,
            placement_decided_on=data.placement_decided_on,
            registered_resident_on=data.registered_resident_on,
            early_takeover_on=data.early_takeover_on,
        )
    )
    await share_personal_data(store, newcomer)
    return newcomer


async def _keep_household_together(
    store: SettlementStore, newcomer: Newcomer, municipality: Municipality
) -> None:
    if newcomer.household_id is None:
        return
    elsewhere = {
        str(member.municipality_code)
        for member in await store.household_members(newcomer.household_id)
        if member.status is NewcomerStatus.SETTLED and member.municipality_code != municipality.code
    }
    if elsewhere:
        raise Conflict(
            f"The newcomer's household lives in {', '.join(sorted(elsewhere))}; settle them together."
        )


async def _within_quota(
    store: SettlementStore, municipality: Municipality, year: int, tally: YearTally
) -> None:
    quota = await store.get_quota(municipality.code, year)
    settled = tally.by_quota
    if quota is None:
        raise Conflict(
            f"{municipality.name} has no settlement request for {year}; "
            "set one, or settle with an override_reason."
        )
    if settled >= quota.requested:
        raise Conflict(
            f"{municipality.name} has settled {settled} of the {quota.requested} requested for {year}; "
            "settle with an override_reason to exceed it.",
            requested=quota.requested,
            settled=settled,
        )


def _within_spread(
    municipality: Municipality, district: str, year: int, tally: YearTally, guard: SpreadGuard
) -> None:
    counts = tally.by_district
    total = sum(counts.values()) + 1
    share = (counts.get(district, 0) + 1) / total
    max_share = municipality.max_district_share or guard.max_share
    room_elsewhere = any(
        (counts.get(other, 0) + 1) / total <= max_share
        for other in municipality.districts
        if other != district
    )
    if len(municipality.districts) > 1 and total >= guard.from_count and share > max_share and room_elsewhere:
        raise Conflict(
            f"{district} would take {counts.get(district, 0) + 1} of {total} settlements in {year} "
            f"({share:.0%}), more than its {max_share:.0%} share; choose another district "
            "or settle with an override_reason.",
            share=round(share, 3),
            max_share=max_share,
        )


async def depart(store: SettlementStore, newcomer_id: UUID, data: DepartureCreate) -> Newcomer:
    newcomer = await store.existing(Newcomer, newcomer_id)
    if newcomer.status is NewcomerStatus.DEPARTED:
        raise Conflict(f"Newcomer {newcomer_id} departed on {newcomer.departed_on} already.")
    if newcomer.settled_on and data.departed_on < newcomer.settled_on:
        raise Invalid("departed_on must not be before the settlement date.")
    for handover in await store.handovers_of(newcomer_id):
        if handover.status.is_open:
            handover.status = handover.status.REVOKED
            handover.decision_reason = "departed"
            handover.decided_at = datetime.now(UTC)
            store.emit(HandoverRevoked(newcomer_id=newcomer_id, handover_id=handover.id))
    if ConsentPurpose.VOLUNTEER_CONTACT in await store.consents_in_force(newcomer_id):
        store.forget(VolunteerContact, str(newcomer_id))
    newcomer.status = NewcomerStatus.DEPARTED
    newcomer.departed_on = data.departed_on
    newcomer.departure_reason = data.reason
    store.emit(NewcomerDeparted(newcomer_id=newcomer_id, reason=data.reason, departed_on=data.departed_on))
    return newcomer


async def agree_integration_plan(
    store: SettlementStore, newcomer_id: UUID, data: IntegrationPlanSet
) -> IntegrationPlan:
    newcomer = await store.existing(Newcomer, newcomer_id)
    if newcomer.status is not NewcomerStatus.SETTLED:
        raise Conflict(
            f"Newcomer {newcomer_id} is {newcomer.status}; plans are agreed with settled newcomers."
        )
    if newcomer.settled_on and data.agreed_on < newcomer.settled_on:
        raise Invalid("agreed_on must not be before the settlement date.")
    plan = await store.get_plan(newcomer_id)
    if plan is None:
        plan = IntegrationPlan(newcomer_id=newcomer_id, **data.model_dump())
    else:
        plan.sqlmodel_update(data.model_dump(), update={"updated_at": datetime.now(UTC)})
    store.put_plan(plan)
    store.emit(IntegrationPlanAgreed(newcomer_id=newcomer_id, **data.model_dump()))
    return plan


async def offer_health_assessment(
    store: SettlementStore, newcomer_id: UUID, data: HealthAssessmentOffer
) -> HealthAssessmentOffer:
    """Records that a settled newcomer was offered a health assessment; the coordinator's clock stops."""
    newcomer = await store.existing(Newcomer, newcomer_id)
    if newcomer.status is not NewcomerStatus.SETTLED:
        raise Conflict(f"Newcomer {newcomer_id} is {newcomer.status}; offers are made to settled newcomers.")
    if (newcomer.settled_on and data.offered_on < newcomer.settled_on) or data.offered_on > date.today():
        raise Invalid("offered_on is between the settlement date and today.")
    store.emit(HealthAssessmentOffered(newcomer_id=newcomer_id, offered_on=data.offered_on))
    return data


async def record_legal_dates(store: SettlementStore, newcomer_id: UUID, data: LegalDates) -> LegalDates:
    """Records dates the law counts from that were not known (or were wrong) when the newcomer was
    settled; the coordination's clocks and grant count from them, and a missing anchor's gap closes."""
    newcomer = await store.existing(Newcomer, newcomer_id)
    if newcomer.status is not NewcomerStatus.SETTLED or newcomer.settled_on is None:
        raise Conflict(f"Newcomer {newcomer_id} is {newcomer.status}; legal dates are recorded once settled.")
    today = date.today()
    for name in ("placement_decided_on", "registered_resident_on", "early_takeover_on"):
        if (value := getattr(data, name)) is not None and value > today:
            raise Invalid(f"{name} must not be in the future.")
    if data.placement_decided_on is not None and data.placement_decided_on > newcomer.settled_on:
        raise Invalid(
            f"placement_decided_on comes before the settlement on {newcomer.settled_on}, or on that day."
        )
    store.emit(LegalDatesRecorded(newcomer_id=newcomer_id, recorded_on=today, **data.model_dump()))
    return data


async def quota_report(store: SettlementStore, year: int) -> list[QuotaLine]:
    lines = []
    for municipality, quota in await store.quota_years(year):
        tally = await store.year_tally(municipality.code, year)
        settled, reunified = tally.by_quota, tally.family_reunification
        requested = quota.requested if quota else None
        lines.append(
            QuotaLine(
                municipality_code=municipality.code,
                municipality_name=municipality.name,
                year=year,
                requested=requested,
                settled=settled,
                family_reunification=reunified,
                family_reunification_adults=reunified - tally.family_reunification_children,
                family_reunification_children=tally.family_reunification_children,
                remaining=None if requested is None else max(requested - settled, 0),
            )
        )
    return lines


async def district_report(store: SettlementStore, code: str, year: int, guard: SpreadGuard) -> DistrictReport:
    municipality = await store.existing(Municipality, code)
    counts = (await store.year_tally(code, year)).by_district
    total = sum(counts.values())
    return DistrictReport(
        municipality_code=code,
        year=year,
        total=total,
        max_district_share=municipality.max_district_share or guard.max_share,
        districts=[
            DistrictLine(
                district=d, settled=counts.get(d, 0), share=round(counts.get(d, 0) / total, 3) if total else 0
            )
            for d in municipality.districts
        ],
    )
