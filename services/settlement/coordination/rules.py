"""Statutory clocks as data: one rule set per country, read from TOML files.

A clock starts on an event (optionally moved to an anchor, e.g. Denmark's
takeover at the end of the first full month after placement), is due a
period later, and stops when other events show the duty was done (the n-th
of them, for "at least four follow-ups"). Adding a rule is adding a
`[[clocks]]` table to a country's file; the event types and date fields it
names are checked against the event catalogue when the files are read.
"""

import tomllib
from collections.abc import Mapping
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.contracts.agencies import Agency
from shared.contracts.events import CATALOGUE
from shared.contracts.events.settlement import AgeGroup
from shared.domain.dates import add_months, end_of_first_full_month_after

from ..models import Country

BUILT_IN = Path(__file__).parent / "rules"


class InvalidRules(ValueError):
    """A rule file that cannot be used; the message names the file and the problem."""


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


class Anchor(StrEnum):
    SAME_DAY = "same_day"
    END_OF_FIRST_FULL_MONTH = "end_of_first_full_month"  # Denmark's takeover

    def of(self, day: date) -> date:
        return end_of_first_full_month_after(day) if self is Anchor.END_OF_FIRST_FULL_MONTH else day


def _check_event(event_type: str, fields: list[str]) -> None:
    event = CATALOGUE.get(event_type)
    if event is None:
        raise ValueError(f"{event_type!r} is not in the event catalogue")
    for name in fields:
        if name not in event.model_fields:
            raise ValueError(f"{event_type} has no field {name!r}")


class Start(_Data):
    event: str
    date: str = Field(description="The event's field holding the start date")
    then: Anchor = Anchor.SAME_DAY

    @model_validator(mode="after")
    def _known(self) -> "Start":
        _check_event(self.event, [self.date])
        return self


class Stop(_Data):
    event: str
    date: Annotated[list[str], Field(min_length=1)] = Field(
        description="The event's date field(s); with several, the latest counts (e.g. a course's start "
        "or the enrolment, whichever is later)"
    )
    count: int = Field(default=1, ge=1, description="Stops at the n-th such event")

    @model_validator(mode="before")
    @classmethod
    def _one_or_more_dates(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("date"), str):
            return {**data, "date": [data["date"]]}
        return data

    @model_validator(mode="after")
    def _known(self) -> "Stop":
        _check_event(self.event, self.date)
        return self


class ClockRule(_Data):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    title: str
    agency: Agency = Field(description="The agency that must act")
    for_age_group: AgeGroup | None = AgeGroup.ADULT
    start: Start
    due: Period
    limit: Period | None = Field(default=None, description="Breached only after this; defaults to due")
    at_risk_within: Period = Field(default=Period(days=14), description="Due soon: listed as at risk")
    stop: Annotated[list[Stop], Field(min_length=1)]
    cancelled_by: list[str] = Field(default_factory=list)

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
    clocks: list[ClockRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> "RuleSet":
        for event_type in self.cancelled_by:
            _check_event(event_type, [])
        ids = [rule.id for rule in self.clocks]
        if len(set(ids)) != len(ids):
            raise ValueError("clock ids must be distinct")
        return self


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
