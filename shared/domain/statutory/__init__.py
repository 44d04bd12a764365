"""Statutory clocks as data: one rule set per country, read from TOML files, the one source of every
deadline the agencies share (settlement's coordination runs the clocks; employment reads its own duties,
the competence mapping and the follow-ups, from the same rules).

A clock starts on a date the law counts from, is due a period later, and
stops when other events show the duty was done (the n-th of them, for "at
least four follow-ups"; only events whose facts match, for "a workplace-based
offer"). The date it starts from is either an event's date field, or a named
anchor of the rule set: Denmark's takeover (integrationsloven § 4) counts
from the visitation decision for a refugee placed by the Immigration Service,
rolled to the first working day after the first full month, and from the
CPR registration for a quota refugee or a family-reunified person; earlier
with the person's consent. Every clock and anchor cites the paragraph it
implements. Adding a rule is adding a `[[clocks]]` table to a country's
file; the event types and fields it names are checked against the event
catalogue when the files are read.
"""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from shared.contracts.agencies import Agency
from shared.contracts.events import CATALOGUE
from shared.contracts.events.settlement import AgeGroup, ArrivalRoute
from shared.domain.dates import add_months, after_first_full_month, first_working_day_from

from .grant import Grant

BUILT_IN = Path(__file__).parent  # the rule sets shipped: dk.toml, no.toml


class Country(StrEnum):
    NO = "NO"
    DK = "DK"


def country_of(municipality_code: str) -> Country:
    """Norway numbers municipalities with four digits, Denmark with three."""
    return Country.NO if len(municipality_code) == 4 else Country.DK


class InvalidRules(ValueError):
    """A rule file that cannot be used; the message names the file and the problem."""


Citation = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]  # e.g. "§ 4, stk. 2"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Data):
    months: int = Field(default=0, ge=0)
    weeks: int = Field(default=0, ge=0)
    days: int = Field(default=0, ge=0)

    def after(self, day: date) -> date:
        return add_months(day, self.months) + timedelta(weeks=self.weeks, days=self.days)

    def before(self, day: date) -> date:
        return add_months(day, -self.months) - timedelta(weeks=self.weeks, days=self.days)


class Then(StrEnum):
    """How a date the law counts from becomes the day a clock starts."""

    SAME_DAY = "same_day"
    FIRST_WORKING_DAY = "first_working_day"  # the day, or the next working day
    AFTER_FIRST_FULL_MONTH = "after_first_full_month"  # the day after the first full month ends, as is
    # Denmark's takeover after a visitation: after the first full month, or the next working day
    FIRST_WORKING_DAY_AFTER_FIRST_FULL_MONTH = "first_working_day_after_first_full_month"

    def of(self, day: date, country: str) -> date:
        if self in (Then.AFTER_FIRST_FULL_MONTH, Then.FIRST_WORKING_DAY_AFTER_FIRST_FULL_MONTH):
            day = after_first_full_month(day)
        if self in (Then.FIRST_WORKING_DAY, Then.FIRST_WORKING_DAY_AFTER_FIRST_FULL_MONTH):
            day = first_working_day_from(day, country)
        return day


def _check_event(event_type: str, fields: list[str]) -> None:
    event = CATALOGUE.get(event_type)
    if event is None:
        raise ValueError(f"{event_type!r} is not in the event catalogue")
    for name in fields:
        if name not in event.model_fields:
            raise ValueError(f"{event_type} has no field {name!r}")


class Start(_Data):
    """An event's date field (`event`, `date`, `then`), or a named anchor of the rule set (`anchor`)."""

    event: str | None = None
    date: str | None = Field(default=None, description="The event's field holding the start date")
    then: Then = Then.SAME_DAY
    anchor: str | None = Field(default=None, description="One of the rule set's [anchors]")

    @model_validator(mode="after")
    def _known(self) -> "Start":
        if self.anchor is not None:
            if self.event is not None or self.date is not None:
                raise ValueError("a start names an anchor, or an event and its date field, not both")
        elif self.event is None or self.date is None:
            raise ValueError("a start names an anchor, or an event and its date field")
        else:
            _check_event(self.event, [self.date])
        return self


class CountFrom(_Data):
    """Where an anchor counts from for one arrival route: a field of the anchor's event."""

    date: str = Field(description="The event's field holding the date the law counts from")
    otherwise: str | None = Field(
        default=None, description="The field to count from where `date` is not given"
    )
    then: Then = Then.SAME_DAY


class NamedAnchor(_Data):
    """A date the law counts several deadlines from, e.g. Denmark's takeover of a newcomer."""

    title: str
    cites: Citation = Field(description="The paragraph that sets the date")
    event: str = Field(description="The event whose facts hold the dates")
    by_route: dict[ArrivalRoute, CountFrom] = Field(min_length=1)
    earlier_by_consent: str | None = Field(
        default=None, description="The event's field holding an earlier date the person agreed to"
    )

    @model_validator(mode="after")
    def _known(self) -> "NamedAnchor":
        fields = [name for how in self.by_route.values() for name in (how.date, how.otherwise) if name]
        _check_event(self.event, [*fields, *([self.earlier_by_consent] if self.earlier_by_consent else [])])
        return self


class Stop(_Data):
    event: str
    date: Annotated[list[str], Field(min_length=1)] = Field(
        description="The event's date field(s); with several, the latest counts (e.g. a course's start "
        "or the enrolment, whichever is later)"
    )
    count: int = Field(default=1, ge=1, description="Stops at the n-th such event")
    where: dict[str, list[str]] = Field(
        default_factory=dict, description="Only events whose fact is one of these, e.g. a placement's kind"
    )

    @model_validator(mode="before")
    @classmethod
    def _one_or_more_dates(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("date"), str):
            return {**data, "date": [data["date"]]}
        return data

    @model_validator(mode="after")
    def _known(self) -> "Stop":
        _check_event(self.event, [*self.date, *self.where])
        return self

    def counts(self, facts: Mapping[str, object]) -> bool:
        return all(facts.get(name) in allowed for name, allowed in self.where.items())


class ClockRule(_Data):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    title: str
    cites: Citation = Field(description="The paragraph the clock implements")
    agency: Agency = Field(description="The agency that must act")
    for_age_group: AgeGroup | None = Field(
        default=AgeGroup.ADULT, description='Only newcomers of this age group; "any" for everyone'
    )
    for_arrival_routes: list[ArrivalRoute] | None = Field(
        default=None, description="Only newcomers who came by one of these routes; all when not given"
    )
    start: Start
    due: Period
    limit: Period | None = Field(default=None, description="Breached only after this; defaults to due")
    at_risk_within: Period = Field(default=Period(days=14), description="Due soon: listed as at risk")
    stop: Annotated[list[Stop], Field(min_length=1)]
    cancelled_by: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _any_age(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("for_age_group") == "any":
            return {**data, "for_age_group": None}
        return data

    def applies_to(self, settled: Mapping[str, Any]) -> bool:
        """Whether the rule covers the newcomer whose settlement has these facts."""
        if self.for_age_group is not None and settled.get("age_group") != self.for_age_group:
            return False
        route = settled.get("arrival_route", ArrivalRoute.RESETTLEMENT)
        return self.for_arrival_routes is None or route in self.for_arrival_routes

    @model_validator(mode="after")
    def _known(self) -> "ClockRule":
        for event_type in self.cancelled_by:
            _check_event(event_type, [])
        return self


class RuleSet(_Data):
    country: Country
    law: str
    cancelled_by: list[str] = Field(default_factory=list, description="Events that stop every clock")
    work_or_education_target: float | None = Field(default=None, ge=0, le=1)
    anchors: dict[str, NamedAnchor] = Field(default_factory=dict)
    clocks: list[ClockRule] = Field(default_factory=list)
    grant: Grant | None = Field(default=None, description="The state's integration grant to the municipality")

    @model_validator(mode="after")
    def _consistent(self) -> "RuleSet":
        for event_type in self.cancelled_by:
            _check_event(event_type, [])
        for rule in self.clocks:
            if rule.start.anchor is not None and rule.start.anchor not in self.anchors:
                raise ValueError(
                    f"{rule.id} starts from {rule.start.anchor!r}, which [anchors] does not name"
                )
        ids = [rule.id for rule in self.clocks]
        if len(set(ids)) != len(ids):
            raise ValueError("clock ids must be distinct")
        if self.grant is not None and self.grant.anchor is not None and self.grant.anchor not in self.anchors:
            raise ValueError(f"the grant counts from {self.grant.anchor!r}, which [anchors] does not name")
        return self

    def start_event(self, rule: ClockRule) -> str:
        """The event type whose facts hold the date `rule` counts from."""
        return rule.start.event or self.anchors[rule.start.anchor or ""].event

    def started_on(self, rule: ClockRule, facts: Mapping[str, Any]) -> tuple[date, date] | None:
        """The date the law counts from in `facts` (of `start_event(rule)`, as JSON) and the day the clock
        starts; None where the facts do not hold that date (e.g. a visitation with no decision date)."""
        if rule.start.event is not None and rule.start.date is not None:
            raw = facts.get(rule.start.date)
            if not isinstance(raw, str):
                return None
            counted = date.fromisoformat(raw)
            return counted, rule.start.then.of(counted, self.country)
        return self.anchor_on(rule.start.anchor or "", facts)

    def anchor_on(self, name: str, facts: Mapping[str, Any]) -> tuple[date, date] | None:
        """The date anchor `name` counts from in `facts` (of the anchor's event, as JSON) and the anchor's
        day, e.g. Denmark's takeover; None where the facts do not hold that date."""
        anchor = self.anchors[name]
        how = anchor.by_route.get(ArrivalRoute(facts.get("arrival_route", ArrivalRoute.RESETTLEMENT)))
        if how is None:
            return None
        raw = facts.get(how.date) or (facts.get(how.otherwise) if how.otherwise else None)
        if not isinstance(raw, str):
            return None
        counted = date.fromisoformat(raw)
        day = how.then.of(counted, self.country)
        early = facts.get(anchor.earlier_by_consent) if anchor.earlier_by_consent else None
        if isinstance(early, str) and (agreed := date.fromisoformat(early)) < day:
            day = agreed  # taken over earlier, with the person's consent
        return counted, day

    def duty(self, agency: Agency, done_by: str, facts: Mapping[str, Any]) -> "Duty | None":
        """`agency`'s duty that `done_by` events meet, with its dates for the newcomer whose start event has
        `facts`: how an agency reads its own deadlines from the rule set rather than keeping copies."""
        for rule in self.clocks:
            stop = next((stop for stop in rule.stop if stop.event == done_by), None)
            if rule.agency is not agency or stop is None:
                continue
            if not rule.applies_to(facts):
                return None
            started = self.started_on(rule, facts)
            if started is None:
                return None
            due_on = rule.due.after(started[1])
            limit_on = rule.limit.after(started[1]) if rule.limit else due_on
            return Duty(rule.id, started[1], due_on, limit_on, stop.count)
        return None


@dataclass(frozen=True)
class Duty:
    """An agency's statutory duty for one newcomer, as its rule set gives it."""

    rule_id: str
    started_on: date
    due_on: date
    limit_on: date
    required: int  # how many of the events that meet it (four follow-ups)


def load_rule_sets(directory: Path = BUILT_IN) -> Mapping[Country, RuleSet]:
    """Every `*.toml` rule set in `directory`, by country."""
    rule_sets: dict[Country, RuleSet] = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            rule_set = RuleSet.model_validate(tomllib.loads(path.read_text()))
        except (tomllib.TOMLDecodeError, ValidationError) as error:
            raise InvalidRules(f"{path}: {error}") from error
        if rule_set.country in rule_sets:
            raise InvalidRules(f"{path}: a second rule set for {rule_set.country}")
        rule_sets[rule_set.country] = rule_set
    if not rule_sets:
        raise InvalidRules(f"no rule sets (*.toml) in {directory}")
    return rule_sets
