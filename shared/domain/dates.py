"""Calendar arithmetic the statutory deadlines use, with each country's public holidays."""

import calendar
from datetime import date, timedelta
from functools import cache

import holidays


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day if it has fewer days."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def after_first_full_month(day: date) -> date:
    """The day after the end of the first calendar month that begins after `day`.

    Denmark's integration act (§ 4, stk. 2) moves a refugee to the municipality
    "fra udgangen af den første hele måned fra tidspunktet for afgørelsen om
    visitering": a visitation decided on 15 May (or on 1 May, a month that has
    begun by then) is taken over on 1 July.
    """
    return add_months(day.replace(day=1), 2)


@cache
def _holidays(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


def is_working_day(day: date, country: str) -> bool:
    """Monday to Friday and not one of `country`'s public holidays (ISO 3166 code: "DK", "NO")."""
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def first_working_day_from(day: date, country: str) -> date:
    """`day` if it is a working day in `country`, else the next one that is."""
    while not is_working_day(day, country):
        day += timedelta(days=1)
    return day
