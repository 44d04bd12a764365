"""The integration grant a newcomer earns the municipality: a ledger per newcomer, a report per municipality
and year. Pure functions over the journey and the country's rule set (`[grant]`).

The ledger starts with the settlement, follows the newcomer through each
handover (the municipality they live in when a year or month begins is the
one paid), and stops with their departure. Years still to come are expected
amounts, at the latest rates the rule file knows.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from uuid import UUID

from pydantic import BaseModel

from shared.contracts.events.settlement import AgeGroup, HouseholdMemberAdded, NewcomerDeparted
from shared.domain.dates import add_months
from shared.domain.statutory import RuleSet
from shared.domain.statutory.grant import Category, Grant, Paid

from .journey import Journey


class GrantLine(BaseModel):
    """What one newcomer earns one municipality in one calendar year (and one year of the grant)."""

    newcomer_id: UUID
    year: int
    grant_year: int  # 1 = the settlement year (Norway) or the first year after the takeover (Denmark)
    municipality_code: str
    category: Category
    months: int | None  # paid per month: how many months of the year
    amount: int | None  # None where the rule file has no rates for the year or before it
    rates_year: int | None
    estimated: bool  # at an earlier year's rates: the year's are not in the rule file
    rates_checked: bool


def ledger(journey: Journey, rule_set: RuleSet) -> list[GrantLine]:
    """Every year's line of the grant `journey`'s newcomer earns, from settlement to the grant's end."""
    settled, grant = journey.settled, rule_set.grant
    if settled is None or grant is None:
        return []
    departed = journey.first(NewcomerDeparted)
    left_on = departed.occurred_on if departed else None
    category = category_of(
        journey.settled_facts, in_household=journey.first(HouseholdMemberAdded) is not None
    )
    if grant.paid is Paid.PER_YEAR:
        return _per_year(journey, grant, category, settled.occurred_on, left_on)
    started = rule_set.anchor_on(grant.anchor or "", journey.settled_facts)
    if started is None:  # e.g. a Danish asylum arrival without the visitation decision's date
        return []
    return _per_month(journey, grant, category, started[1], left_on)


def category_of(facts: dict[str, object], *, in_household: bool = False) -> Category:
    """The year-1 category of a newcomer settled with these facts: alone unless settled in a household or
    made a member of one since."""
    adult = facts.get("age_group") == AgeGroup.ADULT
    alone = facts.get("household_id") is None and not in_household
    if adult:
        return Category.SINGLE_ADULT if alone else Category.ADULT
    return Category.UNACCOMPANIED_MINOR if alone else Category.CHILD


def _per_year(
    journey: Journey, grant: Grant, category: Category, settled_on: date, left_on: date | None
) -> list[GrantLine]:
    lines = []
    for grant_year in range(1, (grant.years or 0) + 1):
        year = settled_on.year + grant_year - 1
        if left_on is not None and left_on.year < year:
            break
        code = journey.municipality_on(settled_on if grant_year == 1 else date(year, 1, 1))
        if code is not None:
            lines.append(_line(journey, grant, category, year, grant_year, code, None))
    return lines


def _per_month(
    journey: Journey, grant: Grant, category: Category, taken_over_on: date, left_on: date | None
) -> list[GrantLine]:
    months: dict[tuple[int, int, str], int] = defaultdict(int)
    first = taken_over_on.replace(day=1)
    for month in range(grant.months or 0):
        begins = add_months(first, month)
        if left_on is not None and begins > left_on:
            break
        code = journey.municipality_on(max(begins, taken_over_on))
        if code is not None:
            months[(begins.year, month // 12 + 1, code)] += 1
    return [
        _line(journey, grant, category, year, grant_year, code, count)
        for (year, grant_year, code), count in months.items()
    ]


def _line(
    journey: Journey,
    grant: Grant,
    category: Category,
    year: int,
    grant_year: int,
    code: str,
    months: int | None,
) -> GrantLine:
    found = grant.rates_for(year)
    amount = None
    if found is not None:
        amount = grant.amount(found[0], grant_year, category) * (months or 1)
    return GrantLine(
        newcomer_id=journey.newcomer_id,
        year=year,
        grant_year=grant_year,
        municipality_code=code,
        category=category,
        months=months,
        amount=amount,
        rates_year=found[0].year if found else None,
        estimated=found[1] if found else False,
        rates_checked=found[0].checked if found else False,
    )


HEADER = (
    "municipality_code",
    "year",
    "arrival_year",
    "grant_year",
    "category",
    "persons",
    "months",
    "amount",
)


class GrantReportLine(BaseModel):
    arrival_year: int  # the year the newcomers were settled
    grant_year: int
    category: Category
    persons: int
    months: int | None
    amount: int | None


class GrantReport(BaseModel):
    municipality_code: str
    year: int
    grant: str
    cites: str
    currency: str
    persons: int
    total: int
    estimated: bool  # some amounts at an earlier year's rates
    rates_checked: bool  # every amount at rates checked against their source
    missing_rates: int  # lines without rates for the year or before it, not in the total
    lines: list[GrantReportLine]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*HEADER])
        for line in self.lines:
            writer.writerow(
                [
                    self.municipality_code,
                    self.year,
                    line.arrival_year,
                    line.grant_year,
                    line.category,
                    line.persons,
                    "" if line.months is None else line.months,
                    "" if line.amount is None else line.amount,
                ]
            )
        return out.getvalue()


def _sum(amounts: Iterable[int | None]) -> int | None:
    """The sum, or None if any amount is unknown."""
    total = 0
    for amount in amounts:
        if amount is None:
            return None
        total += amount
    return total


def grant_report(
    journeys: Iterable[Journey], rule_set: RuleSet, *, municipality_code: str, year: int
) -> GrantReport | None:
    """What the municipality is expected to receive in `year`, by the year its newcomers arrived; None
    where the country's rule set has no grant."""
    if rule_set.grant is None:
        return None
    groups: dict[tuple[int, int, Category], list[GrantLine]] = defaultdict(list)
    for journey in journeys:
        arrival_year = journey.settled_on.year if journey.settled_on else None
        for line in ledger(journey, rule_set):
            if arrival_year is not None and line.year == year and line.municipality_code == municipality_code:
                groups[(arrival_year, line.grant_year, line.category)].append(line)
    lines = [
        GrantReportLine(
            arrival_year=arrival_year,
            grant_year=grant_year,
            category=category,
            persons=len({line.newcomer_id for line in group}),
            months=None if rule_set.grant.paid is Paid.PER_YEAR else sum(line.months or 0 for line in group),
            amount=_sum(line.amount for line in group),
        )
        for (arrival_year, grant_year, category), group in sorted(groups.items())
    ]
    every = [line for group in groups.values() for line in group]
    return GrantReport(
        municipality_code=municipality_code,
        year=year,
        grant=rule_set.grant.title,
        cites=rule_set.grant.cites,
        currency=rule_set.grant.currency,
        persons=len({line.newcomer_id for line in every}),
        total=sum(line.amount for line in every if line.amount is not None),
        estimated=any(line.estimated for line in every),
        rates_checked=all(line.rates_checked for line in every),
        missing_rates=sum(line.amount is None for line in every),
        lines=lines,
    )
