"""Registration gaps: what one agency's events say should exist at another, and does not.

Each gap names the agency that should look, and a reference that stays the
same while the gap lasts, so it is published once.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.contracts.events import Event, education, employment, settlement
from shared.contracts.events.education import WithdrawalReason
from shared.contracts.events.employment import EndReason
from shared.contracts.events.settlement import ArrivalRoute, CefrLevel
from shared.domain.statutory import RuleSet

from ..models import JourneyEntry
from .journey import Journey

CEFR = [level.value for level in CefrLevel]  # in order, A1 lowest


class GapKind(StrEnum):
    NO_LEARNER_RECORD = "no_learner_record"
    NO_EMPLOYMENT_CASE = "no_employment_case"
    END_REASON_MISSING = "end_reason_missing"
    LEVEL_NOT_ASSESSED = "level_not_assessed"
    OPEN_AFTER_HANDOVER = "open_after_handover"
    OPEN_AFTER_DEPARTURE = "open_after_departure"
    ANCHOR_DATE_MISSING = "anchor_date_missing"  # a date the law counts deadlines from, not recorded


class Gap(BaseModel):
    model_config = ConfigDict(frozen=True)

    newcomer_id: UUID
    kind: GapKind
    agency: str
    municipality_code: str
    reference: str
    since: date
    detail: str


@dataclass(frozen=True)
class Thresholds:
    record_within_days: int = 14  # a settled adult should have a learner record and a case by then
    move_within_days: int = 14  # after a handover or departure, records should be moved or closed by then


@dataclass(frozen=True)
class _Record:
    """An agency's record of the newcomer, as its events show it opened, moved and closed."""

    agency: str
    opened: tuple[type[Event], ...]
    closed: tuple[type[Event], ...]
    moved: tuple[type[Event], ...]
    moved_to: str  # the field of `moved` naming the municipality the record is in now
    missing: GapKind
    name: str


RECORDS = (
    _Record(
        "education",
        opened=(education.LearnerEnrolled, education.LearnerWaitlisted),
        closed=(education.LearnerWithdrawn, education.CourseCompleted),
        moved=(education.LearnerEnrolled, education.LearnerWaitlisted),
        moved_to="municipality_code",
        missing=GapKind.NO_LEARNER_RECORD,
        name="learner record",
    ),
    _Record(
        "employment",
        opened=(employment.CaseOpened,),
        closed=(employment.CaseClosed,),
        moved=(employment.CaseTransferred,),
        moved_to="to_municipality_code",
        missing=GapKind.NO_EMPLOYMENT_CASE,
        name="job-centre case",
    ),
)


def gaps_of(
    journey: Journey, as_of: date, thresholds: Thresholds = Thresholds(), rule_set: RuleSet | None = None
) -> list[Gap]:
    """The gaps in everything recorded so far; `as_of` decides how long something has been missing; the
    settling municipality's `rule_set` says which dates the law counts from."""
    if journey.settled is None:
        return []
    found = [
        *_missing_records(journey, as_of, thresholds),
        *_missing_end_reasons(journey),
        *_unassessed_levels(journey),
        *_open_after_moving_on(journey, as_of, thresholds),
        *(_missing_anchor_dates(journey, rule_set) if rule_set is not None else []),
    ]
    return sorted(found, key=lambda gap: (gap.since, gap.kind, gap.agency, gap.reference))


def _gap(journey: Journey, kind: GapKind, agency: str, reference: str, since: date, detail: str) -> Gap:
    code = journey.municipality_on(since) or ""
    return Gap(
        newcomer_id=journey.newcomer_id,
        kind=kind,
        agency=agency,
        municipality_code=code,
        reference=reference,
        since=since,
        detail=detail,
    )


def _missing_anchor_dates(journey: Journey, rule_set: RuleSet) -> list[Gap]:
    """A date the country's law counts deadlines from that the settlement did not record (Denmark's
    visitation decision for an asylum arrival): no clock counted from it can run until it is given."""
    settled = journey.settled
    if settled is None or journey.first(settlement.NewcomerDeparted):
        return []
    route = ArrivalRoute(journey.settled_facts.get("arrival_route", ArrivalRoute.RESETTLEMENT))
    gaps = []
    for name, anchor in rule_set.anchors.items():
        how = anchor.by_route.get(route)
        if how is None or rule_set.anchor_on(name, journey.settled_facts) is not None:
            continue
        gaps.append(
            _gap(
                journey,
                GapKind.ANCHOR_DATE_MISSING,
                "settlement",
                name,
                settled.occurred_on,
                f"Settled as {route} without {how.date}: {anchor.title.lower()} ({anchor.cites}) has no "
                "date, so no clock counted from it runs; record it at POST /newcomers/{id}/legal-dates.",
            )
        )
    return gaps


def _missing_records(journey: Journey, as_of: date, thresholds: Thresholds) -> list[Gap]:
    settled_on = journey.settled_on
    if not journey.is_adult or settled_on is None or journey.first(settlement.NewcomerDeparted):
        return []
    assert journey.settled is not None
    overdue_since = _known_on(journey.settled) + timedelta(days=thresholds.record_within_days)
    return [
        _gap(
            journey,
            record.missing,
            record.agency,
            record.name,
            settled_on,
            f"Settled on {settled_on}; no {record.name} after {thresholds.record_within_days} days.",
        )
        for record in RECORDS
        if as_of >= overdue_since and not journey.of(*record.opened)
    ]


def _missing_end_reasons(journey: Journey) -> list[Gap]:
    closings = [
        ("employment", e)
        for e in journey.of(employment.CaseClosed)
        if e.facts["end_reason"] == EndReason.OTHER and not e.facts.get("explained", e.facts.get("note"))
    ] + [
        ("education", e)
        for e in journey.of(education.LearnerWithdrawn)
        if e.facts["reason"] == WithdrawalReason.OTHER and not e.facts.get("explained", e.facts.get("note"))
    ]
    return [
        _gap(
            journey,
            GapKind.END_REASON_MISSING,
            agency,
            entry.event_id,
            entry.occurred_on,
            f"Closed on {entry.occurred_on} as 'other', without saying why.",
        )
        for agency, entry in closings
    ]


def _unassessed_levels(journey: Journey) -> list[Gap]:
    gaps = []
    for placement in journey.of(employment.PlacementStarted):
        required = placement.facts.get("required_level")
        if required is None:
            continue
        starts_on = placement.occurred_on
        levels = [
            e.facts["overall_level"]
            for e in journey.of(education.LevelAssessed)
            if e.occurred_on <= starts_on
        ]
        best = max(levels, key=CEFR.index, default=None)
        if best is not None and CEFR.index(best) >= CEFR.index(required):
            continue
        found = f"the best assessed level was {best}" if best else "no language assessment on record"
        gaps.append(
            _gap(
                journey,
                GapKind.LEVEL_NOT_ASSESSED,
                "employment",
                placement.facts["placement_id"],
                starts_on,
                f"A placement from {starts_on} asks for CEFR {required}; {found}.",
            )
        )
    return gaps


def _open_after_moving_on(journey: Journey, as_of: date, thresholds: Thresholds) -> list[Gap]:
    """Handed over or departed, while an agency's record stays open where the newcomer was."""
    gaps = []
    wait = timedelta(days=thresholds.move_within_days)
    moves = [(m, GapKind.OPEN_AFTER_HANDOVER) for m in journey.of(settlement.HandoverCompleted)]
    moves += [(m, GapKind.OPEN_AFTER_DEPARTURE) for m in journey.of(settlement.NewcomerDeparted)]
    for move, kind in moves:
        if as_of < _known_on(move) + wait:
            continue
        destination = move.facts.get("to_municipality_code")
        before = [e for e in journey.entries if e.recorded_at < move.recorded_at]
        after = [e for e in journey.entries if e.recorded_at >= move.recorded_at and e is not move]
        for record in RECORDS:
            if not _is_open(record, before) or _followed_up(record, after, destination):
                continue
            where = f"handed over to {destination}" if destination else "departed"
            gaps.append(
                _gap(
                    journey,
                    kind,
                    record.agency,
                    move.facts.get("handover_id") or move.event_id,
                    move.occurred_on,
                    f"{where.capitalize()} on {move.occurred_on}; the {record.name} is still open.",
                )
            )
    return gaps


def _known_on(entry: JourneyEntry) -> date:
    """When agencies could know: the event's date, or the day it was published if that came later.

    A settlement entered weeks after the fact gives the other agencies their
    days from then, and an agency that is only behind on its queue for a
    moment never shows as a gap.
    """
    return max(entry.occurred_on, entry.recorded_at.date())


def _is_open(record: _Record, entries: list[JourneyEntry]) -> bool:
    states = [e.type for e in entries if e.type in {t.type for t in (*record.opened, *record.closed)}]
    return bool(states) and states[-1] in {t.type for t in record.opened}


def _followed_up(record: _Record, entries: list[JourneyEntry], destination: str | None) -> bool:
    closed = {t.type for t in record.closed}
    moved = {t.type for t in record.moved}
    return any(
        entry.type in closed
        or (destination and entry.type in moved and entry.facts.get(record.moved_to) == destination)
        for entry in entries
    )
