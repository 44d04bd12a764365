"""The state's integration grant to the municipality, as data: what it pays for each settled newcomer,
for how long, at which year's rates.

Norway pays its integreringstilskudd per calendar year: the settlement year
(year 1, at a rate by category) and the four years after it (one rate each),
at the rates of the year paid. Denmark pays its grundtilskud per month for the
first three years of the introduction period, which begins at the takeover
(integrationsloven § 45, stk. 4, 1. pkt.; § 16, stk. 8). Each year's rates
name their source; where a year's rates are not in the file, the latest
earlier year's are used and the amount is marked as estimated.
"""

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Category(StrEnum):
    """Who the year-1 rate is for (Norway); settled alone means settled without a household."""

    SINGLE_ADULT = "single_adult"
    ADULT = "adult"
    CHILD = "child"
    UNACCOMPANIED_MINOR = "unaccompanied_minor"


class Paid(StrEnum):
    PER_YEAR = "per_year"  # a sum per calendar year from the settlement year (Norway)
    PER_MONTH = "per_month"  # a sum per month from an anchor of the rule set (Denmark's takeover)


class Rates(_Data):
    """One year's rates, in whole units of the grant's currency."""

    year: int = Field(ge=2000, le=2100)
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    checked: bool = Field(description="Whether the figures were checked against the source")
    first_year: dict[Category, int] | None = Field(default=None, description="per_year: year 1, by category")
    later_years: list[int] = Field(default_factory=list, description="per_year: year 2, 3, …")
    monthly: int | None = Field(default=None, ge=0, description="per_month: each month's amount")


class Grant(_Data):
    title: str
    cites: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    paid: Paid
    years: int | None = Field(default=None, ge=1, description="per_year: how many calendar years")
    months: int | None = Field(default=None, ge=1, description="per_month: how many months")
    anchor: str | None = Field(default=None, description="per_month: the rule set's anchor months count from")
    rates: list[Rates] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "Grant":
        years = [r.year for r in self.rates]
        if years != sorted(set(years)):
            raise ValueError("grant rates are listed once per year, in order")
        if self.paid is Paid.PER_YEAR:
            if self.years is None:
                raise ValueError("a grant paid per year says for how many years")
            for r in self.rates:
                if r.first_year is None or set(r.first_year) != set(Category):
                    raise ValueError(f"{r.year}: first_year gives a rate for each of {', '.join(Category)}")
                if len(r.later_years) != self.years - 1:
                    raise ValueError(f"{r.year}: later_years gives {self.years - 1} rates (year 2 on)")
        else:
            if self.months is None or self.anchor is None:
                raise ValueError("a grant paid per month says for how many months, from which anchor")
            if any(r.monthly is None for r in self.rates):
                raise ValueError("a grant paid per month gives each year's monthly rate")
        return self

    def rates_for(self, year: int) -> tuple[Rates, bool] | None:
        """The rates paid in `year`, and whether they are estimated (an earlier year's, carried forward);
        None before the first year the file knows."""
        known = [r for r in self.rates if r.year <= year]
        if not known:
            return None
        return known[-1], known[-1].year != year

    def amount(self, rates: Rates, grant_year: int, category: Category) -> int:
        """A year's amount (per_year) or a month's (per_month) at `rates`."""
        if self.paid is Paid.PER_MONTH:
            return rates.monthly or 0
        if grant_year == 1:
            return (rates.first_year or {})[category]
        return rates.later_years[grant_year - 2]
