"""The coordinator's view across agencies: journeys, statutory clocks, gaps, key figures.

Built only from the events agencies publish (the journey) and this office's
own register; never from another agency's store.
"""

import asyncio
import logging
from collections.abc import Callable, Collection, Coroutine, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from shared.contracts.envelope import Envelope
from shared.contracts.events import Event
from shared.contracts.events.settlement import (
    ClockAtRisk,
    ClockBreached,
    ClockResolved,
    RegistrationGapClosed,
    RegistrationGapFound,
)
from shared.domain.statutory import Country, country_of
from shared.errors import Conflict, NotFound
from shared.runtime.db import Database

from ..models import CoordinationNotice, JourneyEntry, Municipality
from ..store import SettlementStore
from . import (
    Clock,
    ClockStatus,
    Gap,
    GapKind,
    Journey,
    KpiReport,
    RuleSet,
    Thresholds,
    clocks_of,
    entry_for,
    gaps_of,
    kpis,
)
from .grant import GrantLine, GrantReport, grant_report, ledger
from .tasks import AgencyTask, open_tasks, tasks_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Coordination:
    rule_sets: Mapping[Country, RuleSet]
    thresholds: Thresholds


class SweepReport(BaseModel):
    as_of: date
    clocks_at_risk_published: int
    clock_breaches_published: int
    clocks_resolved_published: int
    gaps_published: int
    gaps_closed_published: int


RESOLVED = (ClockStatus.MET, ClockStatus.MET_LATE, ClockStatus.CANCELLED)


async def record_in_journey(store: SettlementStore, event: Event, envelope: Envelope) -> None:
    await store.record_journey_entry(entry_for(event, envelope))


async def journey_of(store: SettlementStore, newcomer_id: UUID) -> list[JourneyEntry]:
    entries = await store.journey(newcomer_id)
    if not entries and await store.get_newcomer(newcomer_id) is None:
        raise NotFound("newcomer", newcomer_id)
    return entries


async def clocks(
    store: SettlementStore,
    coordination: Coordination,
    *,
    as_of: date,
    newcomer_id: UUID | None = None,
    agency: str | None = None,
    statuses: Collection[ClockStatus] = (),
    municipality_code: str | None = None,
) -> list[Clock]:
    journeys = await _journeys(store, newcomer_id)
    return [
        clock
        for clock in _clocks_in(journeys, await store.countries(), coordination, as_of)
        if (agency is None or clock.agency == agency)
        and (not statuses or clock.status in statuses)
        and (municipality_code is None or clock.municipality_code == municipality_code)
    ]


async def gaps(
    store: SettlementStore,
    coordination: Coordination,
    *,
    as_of: date,
    newcomer_id: UUID | None = None,
    agency: str | None = None,
    kind: GapKind | None = None,
    municipality_code: str | None = None,
) -> list[Gap]:
    return [
        gap
        for gap in _gaps_in(await _journeys(store, newcomer_id), coordination, as_of)
        if (agency is None or gap.agency == agency)
        and (kind is None or gap.kind == kind)
        and (municipality_code is None or gap.municipality_code == municipality_code)
    ]


async def key_figures(
    store: SettlementStore, coordination: Coordination, *, municipality_code: str, year: int, as_of: date
) -> KpiReport:
    municipality = await store.existing(Municipality, municipality_code)
    quota = await store.get_quota(municipality_code, year)
    rule_set = coordination.rule_sets.get(municipality.country)
    return kpis(
        await _journeys(store),
        municipality_code=municipality_code,
        year=year,
        as_of=as_of,
        quota_requested=quota.requested if quota else None,
        sexes=await store.sexes(),
        work_or_education_target=rule_set.work_or_education_target if rule_set else None,
    )


async def agency_tasks(
    store: SettlementStore,
    *,
    as_of: date,
    newcomer_id: UUID | None = None,
    agency: str | None = None,
    municipality_code: str | None = None,
) -> list[AgencyTask]:
    """A newcomer's tasks in every agency (all, done too), or every open task (per agency, municipality)."""
    journeys = await _journeys(store, newcomer_id)
    if newcomer_id is not None:
        return tasks_of(journeys[0], as_of)
    return open_tasks(journeys, as_of, agency=agency, municipality_code=municipality_code)


async def grant_of(store: SettlementStore, coordination: Coordination, newcomer_id: UUID) -> list[GrantLine]:
    """The newcomer's grant ledger under their settling municipality's country's rules."""
    [journey] = await _journeys(store, newcomer_id)
    country = (await store.countries()).get(journey.fact(journey.settled, "municipality_code"))
    rule_set = coordination.rule_sets.get(country) if country else None
    return ledger(journey, rule_set) if rule_set is not None else []


async def grant_figures(
    store: SettlementStore, coordination: Coordination, *, municipality_code: str, year: int
) -> GrantReport:
    municipality = await store.existing(Municipality, municipality_code)
    rule_set = coordination.rule_sets.get(municipality.country)
    report = (
        grant_report(await _journeys(store), rule_set, municipality_code=municipality_code, year=year)
        if rule_set is not None
        else None
    )
    if report is None:
        raise Conflict(f"The rule set for {municipality.country} has no integration grant ([grant]).")
    return report


async def sweep(store: SettlementStore, coordination: Coordination, today: date) -> SweepReport:
    """Publishes, once each, what changed in the clocks and gaps as of `today`: a clock at risk, a clock
    breached, a clock at risk or breached that stopped since (resolved), a gap found, a gap gone."""
    await store.one_sweep_at_a_time()
    published = await store.notices()
    journeys = await _journeys(store)
    counts: dict[str, int] = {"clock.at-risk": 0, "clock.breached": 0, "clock.resolved": 0}

    def once(newcomer_id: UUID, kind: str, reference: str, event: Event) -> None:
        if (newcomer_id, kind, reference) not in published:
            store.emit(event)
            store.add_notice(CoordinationNotice(newcomer_id=newcomer_id, kind=kind, reference=reference))
            published.add((newcomer_id, kind, reference))
            counts[kind] = counts.get(kind, 0) + 1

    for clock in _clocks_in(journeys, await store.countries(), coordination, today):
        facts = {
            "newcomer_id": clock.newcomer_id,
            "rule_id": clock.rule_id,
            "agency": clock.agency,
            "municipality_code": clock.municipality_code,
            "title": clock.title,
        }
        if clock.status in (ClockStatus.AT_RISK, ClockStatus.OVERDUE):
            dates = {"started_on": clock.started_on, "due_on": clock.due_on, "limit_on": clock.limit_on}
            once(
                clock.newcomer_id,
                "clock.at-risk",
                clock.rule_id,
                ClockAtRisk(**facts, **dates, found_on=today),
            )
        elif clock.status is ClockStatus.BREACHED:
            assert clock.breached_on is not None  # a breached clock has passed its limit
            breached = ClockBreached(
                **facts, started_on=clock.started_on, due_on=clock.due_on, breached_on=clock.breached_on
            )
            once(clock.newcomer_id, "clock.breached", clock.rule_id, breached)
        elif clock.status in RESOLVED and any(
            (clock.newcomer_id, kind, clock.rule_id) in published
            for kind in ("clock.at-risk", "clock.breached")
        ):
            outcome = "cancelled" if clock.status is ClockStatus.CANCELLED else "met"
            resolved_on = clock.cancelled_on or clock.stopped_on or today
            resolved = ClockResolved(
                **{k: v for k, v in facts.items() if k != "title"}, outcome=outcome, resolved_on=resolved_on
            )
            once(clock.newcomer_id, "clock.resolved", clock.rule_id, resolved)
    found = closed = 0
    current = set()
    for gap in _gaps_in(journeys, coordination, today):
        key = (gap.newcomer_id, f"gap.{gap.kind}", f"{gap.agency}:{gap.reference}")
        current.add(key)
        if key in published:
            continue
        store.emit(
            RegistrationGapFound(
                newcomer_id=gap.newcomer_id,
                kind=gap.kind,
                agency=gap.agency,
                municipality_code=gap.municipality_code,
                reference=gap.reference,
                since=gap.since,
                found_on=today,
                detail=gap.detail,
            )
        )
        store.add_notice(CoordinationNotice(newcomer_id=key[0], kind=key[1], reference=key[2]))
        found += 1
    where = {j.newcomer_id: j for j in journeys}
    for newcomer_id, kind, reference in sorted(published, key=str):
        found_gap = kind.startswith("gap.") and not kind.endswith(".closed")
        gone = found_gap and (newcomer_id, kind, reference) not in current
        if not gone or (newcomer_id, f"{kind}.closed", reference) in published or newcomer_id not in where:
            continue
        journey = where[newcomer_id]
        agency, _, about = reference.partition(":")
        code = journey.municipality_on(today) or journey.fact(journey.settled, "municipality_code")
        if code is None:
            continue
        gap_closed = RegistrationGapClosed(
            newcomer_id=newcomer_id,
            kind=kind.removeprefix("gap."),
            agency=agency,
            municipality_code=code,
            reference=about,
            closed_on=today,
        )
        store.emit(gap_closed)
        store.add_notice(
            CoordinationNotice(newcomer_id=newcomer_id, kind=f"{kind}.closed", reference=reference)
        )
        closed += 1
    return SweepReport(
        as_of=today,
        clocks_at_risk_published=counts["clock.at-risk"],
        clock_breaches_published=counts["clock.breached"],
        clocks_resolved_published=counts["clock.resolved"],
        gaps_published=found,
        gaps_closed_published=closed,
    )


def _clocks_in(
    journeys: list[Journey], countries: Mapping[str, Country], coordination: Coordination, as_of: date
) -> list[Clock]:
    """Every journey's clocks under its settling municipality's country's rules, soonest due first."""
    found = []
    for journey in journeys:
        country = countries.get(journey.fact(journey.settled, "municipality_code"))
        rule_set = coordination.rule_sets.get(country) if country else None
        if rule_set is not None:
            found += clocks_of(journey, rule_set, as_of)
    return sorted(found, key=lambda clock: (clock.due_on, clock.rule_id, str(clock.newcomer_id)))


def _gaps_in(journeys: list[Journey], coordination: Coordination, as_of: date) -> list[Gap]:
    found = []
    for journey in journeys:
        code = journey.fact(journey.settled, "municipality_code")
        rule_set = coordination.rule_sets.get(country_of(code)) if isinstance(code, str) else None
        found += gaps_of(journey, as_of, coordination.thresholds, rule_set)
    return sorted(found, key=lambda gap: (gap.since, gap.kind, gap.agency, str(gap.newcomer_id)))


async def _journeys(store: SettlementStore, newcomer_id: UUID | None = None) -> list[Journey]:
    if newcomer_id is not None:
        return [Journey(newcomer_id, await journey_of(store, newcomer_id))]
    return [Journey(newcomer, entries) for newcomer, entries in (await store.journeys()).items()]


def sweeping(
    coordination: Coordination, interval_s: float
) -> Callable[[Database], Coroutine[Any, Any, None]]:
    """Publishes new clock breaches and gaps now and then, so agency systems can react."""

    async def run(database: Database) -> None:
        while True:
            # Wait first: after a restart the consumer catches up on what agencies did meanwhile,
            # so a duty done while this service was down is not published as a breach.
            await asyncio.sleep(interval_s)
            try:
                async with database.transaction() as session:
                    report = await sweep(SettlementStore(session), coordination, date.today())
                log.info("coordination sweep: %s", report)
            except Exception:  # the store may be down for a while; the next sweep tries again
                log.exception("coordination sweep failed")

    return run
