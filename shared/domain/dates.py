"""Calendar arithmetic the statutory deadlines use."""

import calendar
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day if it has fewer days."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def end_of_first_full_month_after(day: date) -> date:
    """The last day of the first calendar month that begins after `day`.

    Denmark's municipality takes a newcomer over then: placed on 10 March
    (or on 1 March), it takes over on 30 April.
    """
    next_month = add_months(day.replace(day=1), 1)
    return add_months(next_month, 1) - timedelta(days=1)
