"""Key figures per municipality and year, from the journeys and the register's quota and sex."""

import csv
import io
import statistics
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from uuid import UUID

from pydantic import BaseModel

from shared.contracts.events import Event, education, employment, volunteering
from shared.contracts.events.employment import EndReason
from shared.contracts.events.settlement import ArrivalRoute
from shared.domain.dates import add_months

from ..models import JourneyEntry, Sex
from .journey import Journey

# The end reasons and events that mean "in work or education"; the latest one by the one-year mark counts.
IN_WORK_OR_EDUCATION = {EndReason.EMPLOYMENT, EndReason.EDUCATION}
LEFT = {EndReason.MOVED, EndReason.DEPARTED}  # counted where they went, or not at all
MATCHES = (volunteering.FriendMatched, volunteering.LanguageMentorMatched)

Milestone = Callable[[Journey], date | None]


class Median(BaseModel):
    days: float | None
    reached: int  # newcomers the median is over


class Share(BaseModel):
    count: int
    of: int
    share: float | None


class KpiReport(BaseModel):
    municipality_code: str
    year: int
    as_of: date
    quota_requested: int | None
    settled: int
    settled_by_quota: int
    family_reunification: int
    family_reunification_adults: int
    family_reunification_children: int
    quota_share: float | None
    days_to_course_start: Median
    days_to_competence_mapping: Median
    days_to_first_placement: Median
    volunteer_match: Share
    programme_ended: int
    work_or_education_after_one_year: dict[str, Share]  # "all", then by sex
    work_or_education_target: float | None

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        row: list[object] = [self.municipality_code, self.year]

        def line(indicator: str, group: str, value: object, count: object = None, of: object = None) -> None:
            writer.writerow([*row, indicator, group, *("" if v is None else v for v in (value, count, of))])

        writer.writerow(["municipality_code", "year", "indicator", "group", "value", "count", "of"])
        line("quota_requested", "all", self.quota_requested)
        line("settled", "all", self.settled)
        line("settled_by_quota", "all", self.settled_by_quota)
        line("family_reunification", "all", self.family_reunification)
        line("family_reunification", "adults", self.family_reunification_adults)
        line("family_reunification", "children", self.family_reunification_children)
        line("quota_share", "all", self.quota_share, self.settled_by_quota, self.quota_requested)
        for name in ("days_to_course_start", "days_to_competence_mapping", "days_to_first_placement"):
            median: Median = getattr(self, name)
            line(f"median_{name}", "all", median.days, median.reached, "")
        match = self.volunteer_match
        line("volunteer_match_share", "all", match.share, match.count, match.of)
        line("programme_ended", "all", self.programme_ended)
        for group, share in self.work_or_education_after_one_year.items():
            line("work_or_education_after_one_year", group, share.share, share.count, share.of)
        line("work_or_education_target", "all", self.work_or_education_target)
        return out.getvalue()


def kpis(
    journeys: Iterable[Journey],
    *,
    municipality_code: str,
    year: int,
    as_of: date,
    quota_requested: int | None,
    sexes: Mapping[UUID, Sex],
    work_or_education_target: float | None,
) -> KpiReport:
    journeys = list(journeys)
    cohort = [
        j
        for j in journeys
        if (settled_on := j.settled_on) is not None
        and settled_on.year == year
        and settled_on <= as_of
        and j.fact(j.settled, "municipality_code") == municipality_code
    ]
    reunited = [j for j in cohort if j.fact(j.settled, "arrival_route") == ArrivalRoute.FAMILY_REUNIFICATION]
    by_quota = len(cohort) - len(reunited)
    reunited_adults = sum(j.is_adult for j in reunited)
    matched = sum(bool(_on_or_before(j.of(*MATCHES), as_of)) for j in cohort)
    ended = [
        (j, closed)
        for j in journeys
        if (closed := _programme_end(j)) is not None
        and closed.occurred_on.year == year
        and j.municipality_on(closed.occurred_on) == municipality_code
    ]
    return KpiReport(
        municipality_code=municipality_code,
        year=year,
        as_of=as_of,
        quota_requested=quota_requested,
        settled=len(cohort),
        settled_by_quota=by_quota,
        family_reunification=len(reunited),
        family_reunification_adults=reunited_adults,
        family_reunification_children=len(reunited) - reunited_adults,
        quota_share=round(by_quota / quota_requested, 4) if quota_requested else None,
        days_to_course_start=_median(cohort, as_of, _course_start),
        days_to_competence_mapping=_median(cohort, as_of, _first_date(employment.MappingCompleted)),
        days_to_first_placement=_median(cohort, as_of, _first_date(employment.PlacementStarted)),
        volunteer_match=_share(matched, len(cohort)),
        programme_ended=len(ended),
        work_or_education_after_one_year=_outcomes(ended, as_of, sexes),
        work_or_education_target=work_or_education_target,
    )


def _share(count: int, of: int) -> Share:
    return Share(count=count, of=of, share=round(count / of, 4) if of else None)


def _on_or_before(entries: list[JourneyEntry], day: date) -> list[JourneyEntry]:
    return [e for e in entries if e.occurred_on <= day]


def _median(cohort: list[Journey], as_of: date, reached_on: Milestone) -> Median:
    days = [
        (day - j.settled_on).days
        for j in cohort
        if j.settled_on is not None and (day := reached_on(j)) is not None and day <= as_of
    ]
    return Median(days=statistics.median(days) if days else None, reached=len(days))


def _course_start(journey: Journey) -> date | None:
    """The first day of lessons: the course's start, or the enrolment if the course had begun."""
    starts = [
        max(date.fromisoformat(e.facts["course_starts_on"]), e.occurred_on)
        for e in journey.of(education.LearnerEnrolled)
    ]
    return min(starts, default=None)


def _first_date(event: type[Event]) -> Milestone:
    def first(journey: Journey) -> date | None:
        return min((e.occurred_on for e in journey.of(event)), default=None)

    return first


def _programme_end(journey: Journey) -> JourneyEntry | None:
    """The job-centre case closing ends the introduction programme (not counted if they left)."""
    closed = journey.of(employment.CaseClosed)
    if not closed or closed[-1].facts["end_reason"] in LEFT:
        return None
    return closed[-1]


def _outcomes(
    ended: list[tuple[Journey, JourneyEntry]], as_of: date, sexes: Mapping[UUID, Sex]
) -> dict[str, Share]:
    groups: dict[str, list[bool]] = {"all": [], **{sex.value: [] for sex in Sex}}
    for journey, closed in ended:
        mark = add_months(closed.occurred_on, 12)
        if mark > as_of:
            continue  # not a year yet
        outcome = _in_work_or_education_on(journey, mark)
        groups["all"].append(outcome)
        groups[sexes.get(journey.newcomer_id, Sex.UNSPECIFIED).value].append(outcome)
    return {group: _share(sum(outcomes), len(outcomes)) for group, outcomes in groups.items()}


def _in_work_or_education_on(journey: Journey, day: date) -> bool:
    status: list[tuple[date, bool]] = []
    for entry in journey.of(employment.EmploymentStarted, employment.EducationStarted):
        status.append((entry.occurred_on, True))
    for entry in journey.of(employment.CaseClosed):
        status.append((entry.occurred_on, entry.facts["end_reason"] in IN_WORK_OR_EDUCATION))
    known = sorted(s for s in status if s[0] <= day)
    return known[-1][1] if known else False
