"""Statutory clocks per newcomer: started, due, stopped or breached, as of a day."""

from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, computed_field

from shared.domain.statutory import ClockRule, RuleSet

from ..models import JourneyEntry
from .journey import Journey


class ClockStatus(StrEnum):
    RUNNING = "running"
    AT_RISK = "at_risk"  # due within the rule's warning period
    OVERDUE = "overdue"  # past due, not yet past the limit (e.g. 2 weeks, at the latest 1 month)
    BREACHED = "breached"
    MET = "met"
    MET_LATE = "met_late"
    CANCELLED = "cancelled"  # e.g. the newcomer left the country


class Clock(BaseModel):
    model_config = ConfigDict(frozen=True)

    newcomer_id: UUID
    rule_id: str
    title: str
    agency: str
    municipality_code: str
    started_on: date
    due_on: date
    limit_on: date
    status: ClockStatus
    stopped_on: date | None = None
    cancelled_on: date | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def breached(self) -> bool:
        """The limit passed without what the clock asks for, whether it came later or not yet."""
        return self.status is ClockStatus.BREACHED or (
            self.status is ClockStatus.MET_LATE
            and self.stopped_on is not None
            and self.stopped_on > self.limit_on
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def breached_on(self) -> date | None:
        return self.limit_on + timedelta(days=1) if self.breached else None


def clocks_of(journey: Journey, rule_set: RuleSet, as_of: date) -> list[Clock]:
    return [
        clock for rule in rule_set.clocks if (clock := evaluate(rule, rule_set, journey, as_of)) is not None
    ]


def evaluate(rule: ClockRule, rule_set: RuleSet, journey: Journey, as_of: date) -> Clock | None:
    """The clock `rule` runs for the newcomer as of `as_of`, or None if it does not apply (yet)."""
    if journey.settled is None or not rule.applies_to(journey.settled_facts):
        return None
    begun = _start_of(rule, rule_set, journey)
    if begun is None or begun[0] > as_of:
        return None
    started_on = begun[1]
    due_on = rule.due.after(started_on)
    limit_on = rule.limit.after(started_on) if rule.limit else due_on
    stopped_on = _stopped_on(rule, journey, as_of)
    cancels = journey.of_types([*rule_set.cancelled_by, *rule.cancelled_by])
    cancelled_on = next((e.occurred_on for e in cancels if e.occurred_on <= as_of), None)
    if cancelled_on is not None and (stopped_on is None or cancelled_on < stopped_on):
        status = ClockStatus.CANCELLED
        stopped_on = None
    elif stopped_on is not None:
        status = ClockStatus.MET if stopped_on <= due_on else ClockStatus.MET_LATE
        cancelled_on = None
    elif as_of > limit_on:
        status = ClockStatus.BREACHED
    elif as_of > due_on:
        status = ClockStatus.OVERDUE
    elif as_of >= rule.at_risk_within.before(due_on):
        status = ClockStatus.AT_RISK
    else:
        status = ClockStatus.RUNNING
    return Clock(
        newcomer_id=journey.newcomer_id,
        rule_id=rule.id,
        title=rule.title,
        agency=rule.agency,
        municipality_code=journey.municipality_on(as_of) or "",
        started_on=started_on,
        due_on=due_on,
        limit_on=limit_on,
        status=status,
        stopped_on=stopped_on,
        cancelled_on=cancelled_on,
    )


def _start_of(rule: ClockRule, rule_set: RuleSet, journey: Journey) -> tuple[date, date] | None:
    """The day the clock is shown from and the day it starts, as the journey's facts give them; None while
    the journey does not hold the date the law counts from."""
    for entry in journey.of_types([rule_set.start_event(rule)]):
        if (found := rule_set.started_on(rule, journey.facts_of(entry))) is not None:
            counted, started_on = found
            if rule.start.anchor is None:
                return counted, started_on
            return min(entry.occurred_on, started_on), started_on  # from settlement, or an earlier takeover
    return None


def _stopped_on(rule: ClockRule, journey: Journey, as_of: date) -> date | None:
    """The earliest day one of the rule's stops was satisfied, up to `as_of`."""
    days: list[date] = []
    for stop in rule.stop:
        dated = sorted(
            d
            for entry in journey.of_types([stop.event])
            if stop.counts(entry.facts) and (d := _latest(entry, stop.date))
        )
        dated = [d for d in dated if d <= as_of]
        if len(dated) >= stop.count:
            days.append(dated[stop.count - 1])
    return min(days, default=None)


def _latest(entry: JourneyEntry, fields: list[str]) -> date | None:
    values = [date.fromisoformat(v) for name in fields if isinstance(v := entry.facts.get(name), str)]
    return max(values, default=None)
