"""Statutory clocks, registration gaps and key figures, against hand-computed dates and counts."""

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from services.settlement.coordination import (
    Clock,
    ClockStatus,
    GapKind,
    InvalidRules,
    Journey,
    RuleSet,
    Thresholds,
    clocks_of,
    entry_for,
    gaps_of,
    kpis,
    load_rule_sets,
)
from services.settlement.coordination.grant import grant_report, ledger
from services.settlement.coordination.tasks import open_tasks, tasks_of
from services.settlement.models import JourneyEntry, Sex
from shared.contracts.envelope import Envelope
from shared.contracts.events import Event
from shared.contracts.events.education import (
    EducationTaskChanged,
    LearnerEnrolled,
    LearnerWaitlisted,
    LearnerWithdrawn,
    LevelAssessed,
    Skill,
    Track,
    WithdrawalReason,
)
from shared.contracts.events.employment import (
    CaseClosed,
    CaseOpened,
    EmploymentStarted,
    EmploymentTaskChanged,
    EndReason,
    FollowUpHeld,
    MappingCompleted,
    PlacementKind,
    PlacementStarted,
)
from shared.contracts.events.settlement import (
    AgeGroup,
    ArrivalRoute,
    CefrLevel,
    DepartureReason,
    EndGoal,
    HandoverCompleted,
    HealthAssessmentOffered,
    HouseholdMemberAdded,
    IntegrationPlanAgreed,
    LegalDatesRecorded,
    NewcomerDeparted,
    NewcomerSettled,
)
from shared.contracts.events.volunteering import FriendMatched, MatchKind
from shared.domain.statutory import BUILT_IN, Country, Then

RULES = load_rule_sets()
NO, DK = RULES[Country.NO], RULES[Country.DK]
_sent = count()


class Story:
    """A newcomer's journey, told one event at a time, each sent after the one before."""

    def __init__(self, newcomer_id: UUID | None = None) -> None:
        self.newcomer_id = newcomer_id or uuid4()
        self.entries: list[JourneyEntry] = []

    def add(self, event_type: type[Event], **fields: object) -> "Story":
        event = event_type(newcomer_id=self.newcomer_id, **fields)
        envelope = Envelope.wrap(event, source="/test")
        sent = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=next(_sent))  # recorded in good time
        self.entries.append(entry_for(event, replace(envelope, time=sent)))
        return self

    def settled(self, on: str, code: str = "0301", *, adult: bool = True, **fields: object) -> "Story":
        return self.add(
            NewcomerSettled,
            municipality_code=code,
            district="Sentrum",
            settled_on=date.fromisoformat(on),
            age_group=AgeGroup.ADULT if adult else AgeGroup.CHILD,
            volunteer_contact_consent=False,
            **fields,
        )

    def waitlisted(self, on: str, code: str = "0301") -> "Story":
        return self.add(
            LearnerWaitlisted,
            municipality_code=code,
            track=Track.CLASSROOM,
            reason="full",
            waitlisted_on=d(on),
        )

    @property
    def journey(self) -> Journey:
        ordered = sorted(self.entries, key=lambda e: (e.occurred_on, e.recorded_at))
        return Journey(self.newcomer_id, ordered)

    def clocks(self, rules: RuleSet, as_of: str) -> dict[str, Clock]:
        return {c.rule_id: c for c in clocks_of(self.journey, rules, date.fromisoformat(as_of))}

    def gaps(self, as_of: str) -> list[tuple[GapKind, str]]:
        return [(g.kind, g.agency) for g in gaps_of(self.journey, date.fromisoformat(as_of), Thresholds())]


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("decided", "takeover"),
    [
        ("2025-05-15", "2025-07-01"),  # the statute's guidance: visitation on 15 May, takeover on 1 July
        ("2025-05-01", "2025-07-01"),  # May has begun when the decision comes: June is the first full month
        ("2025-05-31", "2025-07-01"),
        ("2025-04-10", "2025-06-02"),  # 1 June 2025 is a Sunday: the next working day
        ("2025-11-15", "2026-01-02"),  # 1 January is New Year's Day
        ("2024-02-20", "2024-04-02"),  # 1 April 2024 is Easter Monday
        ("2025-12-31", "2026-02-02"),  # 1 February 2026 is a Sunday
    ],
)
def test_denmark_takes_a_visited_refugee_over_after_the_first_full_month_on_a_working_day(
    decided: str, takeover: str
) -> None:
    assert Then.FIRST_WORKING_DAY_AFTER_FIRST_FULL_MONTH.of(d(decided), "DK") == d(takeover)
    story = Story().settled(
        "2025-06-20" if decided < "2025-06-20" else decided, code="530", **visited(decided)
    )
    assert story.clocks(DK, "2026-12-31")["dk.integration-contract"].started_on == d(takeover)


def visited(decided: str, **fields: object) -> dict[str, object]:
    """A refugee the Immigration Service placed in the municipality (visitation) on `decided`."""
    return {"arrival_route": ArrivalRoute.ASYLUM, "placement_decided_on": d(decided), **fields}


def test_quota_refugees_and_reunified_family_are_taken_over_on_their_cpr_registration() -> None:
    quota = Story().settled("2025-03-10", code="530", registered_resident_on=d("2025-03-12"))
    contract = quota.clocks(DK, "2025-03-20")["dk.integration-contract"]
    assert (contract.started_on, contract.due_on) == (d("2025-03-12"), d("2025-04-12"))
    family = Story().settled(
        "2025-04-01",
        code="530",
        arrival_route=ArrivalRoute.FAMILY_REUNIFICATION,
        registered_resident_on=d("2025-04-03"),
    )
    assert family.clocks(DK, "2025-04-10")["dk.danish-lessons"].due_on == d("2025-05-03")
    # Not recorded: the day they moved in stands for the registration.
    unrecorded = Story().settled("2025-03-10", code="530")
    assert unrecorded.clocks(DK, "2025-03-20")["dk.workplace-offer"].started_on == d("2025-03-10")


def test_an_early_takeover_with_consent_starts_the_clocks_then() -> None:
    story = Story().settled(
        "2025-05-20", code="530", **visited("2025-05-15", early_takeover_on=d("2025-06-02"))
    )
    clock = story.clocks(DK, "2025-06-10")["dk.integration-contract"]
    assert (clock.started_on, clock.due_on) == (d("2025-06-02"), d("2025-07-02"))


def test_a_visited_refugee_without_the_decision_date_has_no_takeover_clocks_yet() -> None:
    story = Story().settled("2025-05-20", code="530", arrival_route=ArrivalRoute.ASYLUM)
    assert story.clocks(DK, "2025-12-31") == {}


def test_a_course_is_not_a_workplace_based_offer() -> None:
    story = Story().settled("2025-03-10", code="530")  # taken over on 10 March: offer due 24 March
    story.add(PlacementStarted, **_placement("2025-03-17", kind=PlacementKind.JOB_SEARCH_COURSE))
    story.add(PlacementStarted, **_placement("2025-03-20", kind=PlacementKind.ENTREPRENEURSHIP_COURSE))
    assert story.clocks(DK, "2025-03-21")["dk.workplace-offer"].stopped_on is None
    story.add(PlacementStarted, **_placement("2025-03-21", kind=PlacementKind.WORK_PRACTICE))
    clock = story.clocks(DK, "2025-03-25")["dk.workplace-offer"]
    assert (clock.status, clock.stopped_on) == (ClockStatus.MET, d("2025-03-21"))


def test_every_clock_and_anchor_cites_its_paragraph() -> None:
    for rule_set in RULES.values():
        assert all(rule.cites.strip() for rule in rule_set.clocks)
        assert all(anchor.cites.strip() for anchor in rule_set.anchors.values())


def test_norwegian_mapping_clock_runs_is_at_risk_then_breached_unless_mapping_is_done() -> None:
    story = Story().settled("2025-01-15")
    running = story.clocks(NO, "2025-03-31")["no.competence-mapping"]
    assert (running.due_on, running.status) == (d("2025-04-15"), ClockStatus.RUNNING)
    assert story.clocks(NO, "2025-04-01")["no.competence-mapping"].status is ClockStatus.AT_RISK
    assert story.clocks(NO, "2025-04-15")["no.competence-mapping"].status is ClockStatus.AT_RISK
    breached = story.clocks(NO, "2025-04-16")["no.competence-mapping"]
    assert (breached.status, breached.breached_on) == (ClockStatus.BREACHED, d("2025-04-16"))

    story.add(MappingCompleted, **_mapping("2025-04-10"))
    assert story.clocks(NO, "2025-04-09")["no.competence-mapping"].status is ClockStatus.AT_RISK
    met = story.clocks(NO, "2026-01-01")["no.competence-mapping"]
    assert (met.status, met.stopped_on, met.breached) == (ClockStatus.MET, d("2025-04-10"), False)


def test_a_decision_after_the_deadline_is_met_late_and_stays_a_breach() -> None:
    story = Story().settled("2025-01-15").add(IntegrationPlanAgreed, **_plan("2025-05-02"))
    clock = story.clocks(NO, "2025-06-01")["no.programme-decision"]
    assert clock.status is ClockStatus.MET_LATE
    assert (clock.breached, clock.breached_on) == (True, d("2025-04-16"))


def test_danish_clocks_run_from_the_takeover() -> None:
    story = Story().settled("2025-04-14", code="530", **visited("2025-03-10"))  # takeover 1 May 2025
    clocks = story.clocks(DK, "2025-05-16")
    assert {rule: (c.started_on, c.due_on, c.limit_on) for rule, c in clocks.items()} == {
        "dk.integration-contract": (d("2025-05-01"), d("2025-06-01"), d("2025-06-01")),
        "dk.danish-lessons": (d("2025-05-01"), d("2025-06-01"), d("2025-06-01")),
        "dk.workplace-offer": (d("2025-05-01"), d("2025-05-15"), d("2025-06-01")),
        "dk.follow-ups": (d("2025-05-01"), d("2025-11-01"), d("2025-11-01")),
    }
    assert clocks["dk.workplace-offer"].status is ClockStatus.OVERDUE
    assert clocks["dk.integration-contract"].status is ClockStatus.RUNNING
    assert story.clocks(DK, "2025-06-02")["dk.workplace-offer"].status is ClockStatus.BREACHED

    story.add(PlacementStarted, **_placement("2025-05-26"))
    late = story.clocks(DK, "2025-06-30")["dk.workplace-offer"]
    assert (late.status, late.breached) == (ClockStatus.MET_LATE, False)


def test_danish_lessons_start_when_the_course_does_or_on_enrolment_if_later() -> None:
    story = Story().settled("2025-03-10", code="530", **visited("2025-03-10"))  # taken over 1 May
    story.add(LearnerEnrolled, **_enrolment("2025-06-02", enrolled_on="2025-03-10", code="530"))
    assert story.clocks(DK, "2025-07-01")["dk.danish-lessons"].stopped_on == d("2025-06-02")
    other = Story().settled("2025-03-10", code="530", **visited("2025-03-10"))
    other.add(LearnerEnrolled, **_enrolment("2025-01-06", enrolled_on="2025-05-05", code="530"))
    clock = other.clocks(DK, "2025-07-01")["dk.danish-lessons"]
    assert (clock.stopped_on, clock.status) == (d("2025-05-05"), ClockStatus.MET)


def test_four_follow_ups_stop_the_danish_clock_on_the_fourth() -> None:
    story = Story().settled("2025-03-10", code="530", **visited("2025-03-10"))  # taken over 1 May: 1 Nov
    for held_on in ("2025-05-05", "2025-06-01", "2025-07-01"):
        story.add(FollowUpHeld, follow_up_id=uuid4(), kind="meeting", held_on=d(held_on))
    assert story.clocks(DK, "2025-11-02")["dk.follow-ups"].status is ClockStatus.BREACHED
    story.add(FollowUpHeld, follow_up_id=uuid4(), kind="phone", held_on=d("2025-10-20"))
    clock = story.clocks(DK, "2025-11-02")["dk.follow-ups"]
    assert (clock.status, clock.stopped_on) == (ClockStatus.MET, d("2025-10-20"))


def test_departure_cancels_open_clocks_and_children_have_none() -> None:
    story = (
        Story()
        .settled("2025-01-15")
        .add(NewcomerDeparted, reason=DepartureReason.LEFT_COUNTRY, departed_on=d("2025-02-01"))
    )
    assert {c.status for c in story.clocks(NO, "2025-12-31").values()} == {ClockStatus.CANCELLED}
    assert Story().settled("2025-01-15", adult=False).clocks(NO, "2025-12-31") == {}


def test_adding_a_clock_is_adding_data(tmp_path: Path) -> None:
    (tmp_path / "no.toml").write_text(
        (BUILT_IN / "no.toml").read_text()
        + """
[[clocks]]
id = "no.first-language-test"
title = "A first language test within 6 months of settlement"
cites = "a municipality's own practice"
agency = "education"
start = { event = "samvirke.settlement.newcomer.settled.v1", date = "settled_on" }
due = { months = 6 }
stop = [{ event = "samvirke.education.level.assessed.v1", date = "tested_on" }]
"""
    )
    rules = load_rule_sets(tmp_path)[Country.NO]
    story = Story().settled("2025-01-15")
    story.add(LevelAssessed, skill=Skill.READING, level="A2", tested_on=d("2025-05-01"), overall_level="A2")
    clock = story.clocks(rules, "2025-12-31")["no.first-language-test"]
    assert (clock.due_on, clock.status, clock.agency) == (d("2025-07-15"), ClockStatus.MET, "education")


@pytest.mark.parametrize(
    ("stop", "problem"),
    [
        ('{ event = "samvirke.nobody.thing.v1", date = "on" }', "not in the event catalogue"),
        (
            '{ event = "samvirke.employment.mapping.completed.v1", date = "mapped_on" }',
            "no field 'mapped_on'",
        ),
    ],
)
def test_a_rule_naming_an_unknown_event_or_field_is_refused(tmp_path: Path, stop: str, problem: str) -> None:
    (tmp_path / "xx.toml").write_text(
        f"""country = "NO"
law = "test"
[[clocks]]
id = "no.test"
title = "test"
cites = "test"
agency = "employment"
start = {{ event = "samvirke.settlement.newcomer.settled.v1", date = "settled_on" }}
due = {{ months = 1 }}
stop = [{stop}]
"""
    )
    with pytest.raises(InvalidRules, match=problem):
        load_rule_sets(tmp_path)


@pytest.mark.parametrize(
    ("clock", "problem"),
    [
        ('start = { anchor = "takeover" }', "which \\[anchors\\] does not name"),
        ('cites = "  "\nstart = { anchor = "arrival" }', "cites"),
        ('start = { anchor = "arrival", event = "samvirke.settlement.newcomer.settled.v1" }', "not both"),
    ],
)
def test_a_clock_without_its_paragraph_or_with_an_unknown_anchor_is_refused(
    tmp_path: Path, clock: str, problem: str
) -> None:
    cites = "" if "cites" in clock else 'cites = "test"\n'
    (tmp_path / "xx.toml").write_text(
        f"""country = "NO"
law = "test"
[anchors.arrival]
title = "arrival"
cites = "test"
event = "samvirke.settlement.newcomer.settled.v1"
by_route.resettlement = {{ date = "settled_on" }}
[[clocks]]
id = "no.test"
title = "test"
{cites}{clock}
agency = "employment"
due = {{ months = 1 }}
stop = [{{ event = "samvirke.employment.mapping.completed.v1", date = "completed_on" }}]
"""
    )
    with pytest.raises(InvalidRules, match=problem):
        load_rule_sets(tmp_path)


def test_settled_adult_without_learner_record_or_case_is_a_gap_after_the_threshold() -> None:
    story = Story().settled("2025-01-15")
    assert story.gaps("2025-01-28") == []
    assert story.gaps("2025-01-29") == [
        (GapKind.NO_EMPLOYMENT_CASE, "employment"),
        (GapKind.NO_LEARNER_RECORD, "education"),
    ]
    story.waitlisted("2025-01-15", code="0301")
    assert story.gaps("2025-01-29") == [(GapKind.NO_EMPLOYMENT_CASE, "employment")]
    assert Story().settled("2025-01-15", adult=False).gaps("2025-12-31") == []


def test_an_agency_gets_its_days_from_when_the_settlement_was_entered() -> None:
    story = Story().settled("2025-01-15")
    late = story.entries[0]
    late.recorded_at = datetime(2025, 3, 1, 9, tzinfo=UTC)  # entered six weeks after the fact
    story.waitlisted("2025-01-15")
    assert story.gaps("2025-03-14") == []
    assert story.gaps("2025-03-15") == [(GapKind.NO_EMPLOYMENT_CASE, "employment")]


def test_closing_as_other_without_a_note_is_a_missing_end_reason() -> None:
    story = _with_records(Story().settled("2025-01-15"))
    story.add(CaseClosed, end_reason=EndReason.OTHER, closed_on=d("2025-08-01"))
    story.add(
        LearnerWithdrawn,
        reason=WithdrawalReason.OTHER,
        explained=True,  # the teacher wrote why, in the school's store
        withdrawn_on=d("2025-08-01"),
    )
    assert story.gaps("2025-09-01") == [(GapKind.END_REASON_MISSING, "employment")]


def test_placement_asking_for_a_level_nobody_assessed_is_a_gap() -> None:
    story = _with_records(Story().settled("2025-01-15"))
    story.add(LevelAssessed, skill=Skill.SPEAKING, level="A2", tested_on=d("2025-03-01"), overall_level="A2")
    story.add(PlacementStarted, **_placement("2025-04-01", required_level=CefrLevel.B1))
    [gap] = gaps_of(story.journey, d("2025-05-01"))
    assert (gap.kind, gap.since) == (GapKind.LEVEL_NOT_ASSESSED, d("2025-04-01"))
    assert gap.detail == "A placement from 2025-04-01 asks for CEFR B1; the best assessed level was A2."
    story.add(LevelAssessed, skill=Skill.READING, level="B1", tested_on=d("2025-03-20"), overall_level="B1")
    assert story.gaps("2025-05-01") == []


def test_a_danish_asylum_arrival_without_the_visitation_date_is_a_gap_for_the_refugee_office() -> None:
    story = Story().settled("2025-06-20", "530", arrival_route=ArrivalRoute.ASYLUM)
    [gap] = gaps_of(story.journey, d("2025-06-21"), Thresholds(), DK)
    assert (gap.kind, gap.agency, gap.reference, gap.since) == (
        GapKind.ANCHOR_DATE_MISSING,
        "settlement",
        "takeover",
        d("2025-06-20"),
    )
    assert "placement_decided_on" in gap.detail
    assert story.clocks(DK, "2025-06-21") == {}  # nothing runs until the date is given
    dated = Story().settled(
        "2025-06-20", "530", arrival_route=ArrivalRoute.ASYLUM, placement_decided_on=d("2025-05-15")
    )
    assert gaps_of(dated.journey, d("2025-06-21"), Thresholds(), DK) == []
    quota = Story().settled("2025-06-20", "530")  # counts from the settlement date when CPR's is missing
    assert gaps_of(quota.journey, d("2025-06-21"), Thresholds(), DK) == []


def test_a_visitation_recorded_after_the_settlement_closes_the_gap_and_starts_the_clocks() -> None:
    story = Story().settled("2025-06-20", "530", arrival_route=ArrivalRoute.ASYLUM)
    story.add(LegalDatesRecorded, recorded_on=d("2025-06-25"), placement_decided_on=d("2025-05-20"))
    assert gaps_of(story.journey, d("2025-06-26"), Thresholds(), DK) == []
    contract = story.clocks(DK, "2025-06-26")["dk.integration-contract"]
    assert (contract.started_on, contract.due_on) == (d("2025-07-01"), d("2025-08-01"))  # 20 May → 1 July
    # A later record corrects the date, and leaves alone those it does not give.
    story.add(LegalDatesRecorded, recorded_on=d("2025-06-27"), placement_decided_on=d("2025-04-10"))
    corrected = story.clocks(DK, "2025-06-28")["dk.integration-contract"]
    assert (corrected.started_on, corrected.due_on) == (d("2025-06-02"), d("2025-07-02"))  # 1 June: a Sunday
    story.add(LegalDatesRecorded, recorded_on=d("2025-06-28"), registered_resident_on=d("2025-06-21"))
    assert story.journey.settled_facts["placement_decided_on"] == "2025-04-10"


def test_records_left_open_after_a_handover_are_gaps_until_moved() -> None:
    story = _with_records(Story().settled("2025-01-15"))
    story.add(
        HandoverCompleted,
        handover_id=uuid4(),
        from_municipality_code="0301",
        to_municipality_code="3405",
        to_district="Søre Ål",
        completed_on=d("2025-06-01"),
    )
    assert story.gaps("2025-06-14") == []
    assert story.gaps("2025-06-15") == [
        (GapKind.OPEN_AFTER_HANDOVER, "education"),
        (GapKind.OPEN_AFTER_HANDOVER, "employment"),
    ]
    story.waitlisted("2025-06-01", code="3405")
    assert story.gaps("2025-06-15") == [(GapKind.OPEN_AFTER_HANDOVER, "employment")]


def _handover(story: Story, on: str, to: str, *, from_: str = "0301") -> Story:
    return story.add(
        HandoverCompleted,
        handover_id=uuid4(),
        from_municipality_code=from_,
        to_municipality_code=to,
        to_district="Sentrum",
        completed_on=d(on),
    )


def _lines(story: Story, rules: RuleSet) -> list[tuple[object, ...]]:
    return [
        (
            line.year,
            line.grant_year,
            line.municipality_code,
            line.category,
            line.months,
            line.amount,
            line.estimated,
        )
        for line in ledger(story.journey, rules)
    ]


def test_norways_grant_runs_five_calendar_years_paid_where_the_newcomer_lives_on_1_january() -> None:
    story = _handover(Story().settled("2025-03-01"), "2026-06-01", "3405")
    story.add(NewcomerDeparted, reason=DepartureReason.LEFT_COUNTRY, departed_on=d("2028-05-01"))
    assert _lines(story, NO) == [
        (2025, 1, "0301", "single_adult", None, 290000, False),
        (2026, 2, "0301", "single_adult", None, 250000, True),  # at 2025's rates, the latest in the file
        (2027, 3, "3405", "single_adult", None, 180000, True),
        (2028, 4, "3405", "single_adult", None, 90000, True),  # and none after the year of departure
    ]
    family = uuid4()
    child = Story().settled("2025-03-01", adult=False, household_id=family)
    alone = Story().settled("2025-03-01", adult=False)
    parent = Story().settled("2025-03-01", household_id=family)
    joined = (
        Story()
        .settled("2025-03-01")
        .add(
            HouseholdMemberAdded,
            household_id=family,
            relation="head",
            age_group=AgeGroup.ADULT,
            via_family_reunification=False,
            household_consents_to_volunteer_contact=False,
        )
    )  # a household formed after the settlement
    assert [ledger(s.journey, NO)[0].category for s in (child, alone, parent, joined)] == [
        "child",
        "unaccompanied_minor",
        "adult",
        "adult",
    ]
    assert len(ledger(child.journey, NO)) == 5


def test_denmarks_basic_grant_is_monthly_for_36_months_from_the_takeover() -> None:
    # A quota refugee registered in CPR on 13 May 2024: taken over that day (§ 4, stk. 3), paid
    # from May 2024 to April 2027, at 3,127 kr a month (2024) and at that rate after it.
    quota = Story().settled(
        "2024-05-10", "530", arrival_route=ArrivalRoute.RESETTLEMENT, registered_resident_on=d("2024-05-13")
    )
    assert _lines(quota, DK) == [
        (2024, 1, "530", "single_adult", 8, 8 * 3127, False),
        (2025, 1, "530", "single_adult", 4, 4 * 3127, True),
        (2025, 2, "530", "single_adult", 8, 8 * 3127, True),
        (2026, 2, "530", "single_adult", 4, 4 * 3127, True),
        (2026, 3, "530", "single_adult", 8, 8 * 3127, True),
        (2027, 3, "530", "single_adult", 4, 4 * 3127, True),
    ]
    # Moved on 15 September: the new municipality from October; left on 20 August 2025: none after August.
    _handover(quota, "2024-09-15", "561", from_="530")
    quota.add(NewcomerDeparted, reason=DepartureReason.LEFT_COUNTRY, departed_on=d("2025-08-20"))
    assert [(year, code, months) for year, _, code, _, months, _, _ in _lines(quota, DK)] == [
        (2024, "530", 5),
        (2024, "561", 3),
        (2025, "561", 4),
        (2025, "561", 4),
    ]
    # Visited on 15 May 2024: taken over 1 July, paid from July. Without the decision's date: nothing yet.
    asylum = ArrivalRoute.ASYLUM
    visited = Story().settled("2024-06-20", "530", arrival_route=asylum, placement_decided_on=d("2024-05-15"))
    assert _lines(visited, DK)[0][:5] == (2024, 1, "530", "single_adult", 6)
    assert ledger(Story().settled("2024-06-20", "530", arrival_route=asylum).journey, DK) == []


def test_the_grant_report_gives_a_municipalitys_expected_year_by_arrival_year() -> None:
    family = uuid4()
    journeys = [
        Story().settled("2025-03-01").journey,
        Story().settled("2025-08-01", adult=False, household_id=family).journey,
        Story().settled("2024-11-01").journey,  # 2024 is before the rates the file has
        _handover(
            Story().settled("2025-02-01"), "2025-12-01", "3405"
        ).journey,  # lives elsewhere on 1 January
        Story().settled("2025-02-01", "3405").journey,
    ]
    report = grant_report(journeys, NO, municipality_code="0301", year=2026)
    assert report is not None
    assert [(r.arrival_year, r.grant_year, r.category, r.persons, r.amount) for r in report.lines] == [
        (2024, 3, "single_adult", 1, 180000),
        (2025, 2, "child", 1, 250000),
        (2025, 2, "single_adult", 1, 250000),
    ]
    assert (report.persons, report.total, report.currency) == (3, 680000, "NOK")
    assert (report.estimated, report.rates_checked, report.missing_rates) == (True, False, 0)
    assert "0301,2026,2025,2,child,1,,250000" in report.csv().splitlines()
    first = grant_report(journeys, NO, municipality_code="0301", year=2024)
    assert first is not None
    assert (first.persons, first.total, first.missing_rates, first.lines[0].amount) == (1, 0, 1, None)


def test_the_coordinator_sees_each_agencys_tasks_as_their_latest_change_tells() -> None:
    story = Story().settled("2025-03-01")
    mapping, absence, gap = uuid4(), uuid4(), uuid4()

    def change(
        event: type[Event], task_id: UUID, kind: str, status: str, on: str, assigned: bool = False
    ) -> None:
        story.add(
            event,
            task_id=task_id,
            kind=kind,
            reference="r",
            status=status,
            due_on=d("2025-06-01"),
            assigned=assigned,
            changed_on=d(on),
        )

    change(EmploymentTaskChanged, mapping, "clock", "open", "2025-05-20")
    change(EmploymentTaskChanged, mapping, "clock", "in_progress", "2025-05-21", assigned=True)
    change(EmploymentTaskChanged, absence, "absence_alert", "open", "2025-05-22")
    change(EmploymentTaskChanged, absence, "absence_alert", "done", "2025-05-23")
    change(EducationTaskChanged, gap, "gap", "open", "2025-05-24")
    _handover(story, "2025-05-25", "3405")
    every = {(t.agency, t.kind, t.status, t.assigned) for t in tasks_of(story.journey, d("2025-06-01"))}
    assert every == {
        ("employment", "clock", "in_progress", True),
        ("employment", "absence_alert", "done", False),
        ("education", "gap", "open", False),
    }
    still = open_tasks([story.journey], d("2025-06-01"), agency=None, municipality_code="3405")
    assert [(t.agency, t.kind) for t in still] == [("education", "gap"), ("employment", "clock")]
    assert open_tasks([story.journey], d("2025-06-01"), agency="education", municipality_code="0301") == []


def test_key_figures_of_a_municipality_year() -> None:
    a = _with_records(Story().settled("2025-01-10"))  # course starts after 20 days, mapped after 40
    a.add(LearnerEnrolled, **_enrolment("2025-01-30", enrolled_on="2025-01-10"))
    a.add(MappingCompleted, **_mapping("2025-02-19"))
    a.add(PlacementStarted, **_placement("2025-03-11"))  # 60 days
    a.add(FriendMatched, match_id=uuid4(), kind=MatchKind.FRIEND, matched_on=d("2025-02-01"))
    a.add(EmploymentStarted, started_on=d("2025-06-01"), hours_per_week=37.5)
    a.add(CaseClosed, end_reason=EndReason.EMPLOYMENT, closed_on=d("2025-06-01"))
    b = _with_records(Story().settled("2025-03-01"))  # 31 days to mapping
    b.add(MappingCompleted, **_mapping("2025-04-01"))
    b.add(CaseClosed, end_reason=EndReason.SELF_SUPPORTING, closed_on=d("2025-09-01"))
    c = Story().settled("2025-05-05", arrival_route=ArrivalRoute.FAMILY_REUNIFICATION)
    child = Story().settled("2025-05-05", adult=False, arrival_route=ArrivalRoute.FAMILY_REUNIFICATION)
    other_year = Story().settled("2024-12-31")
    elsewhere = Story().settled("2025-02-02", code="3405")
    report = kpis(
        [s.journey for s in (a, b, c, child, other_year, elsewhere)],
        municipality_code="0301",
        year=2025,
        as_of=d("2026-09-01"),
        quota_requested=4,
        sexes={a.newcomer_id: Sex.FEMALE, b.newcomer_id: Sex.MALE},
        work_or_education_target=0.7,
    )
    assert (report.settled, report.settled_by_quota, report.family_reunification) == (4, 2, 2)
    assert (report.family_reunification_adults, report.family_reunification_children) == (1, 1)
    assert report.quota_share == 0.5
    assert (report.days_to_course_start.days, report.days_to_course_start.reached) == (20, 1)
    assert (report.days_to_competence_mapping.days, report.days_to_competence_mapping.reached) == (35.5, 2)
    assert report.days_to_first_placement.days == 60
    assert (report.volunteer_match.count, report.volunteer_match.of) == (1, 4)
    assert report.programme_ended == 2
    outcome = report.work_or_education_after_one_year
    assert (outcome["all"].count, outcome["all"].of, outcome["all"].share) == (1, 2, 0.5)
    assert (outcome["female"].count, outcome["female"].of) == (1, 1)
    assert (outcome["male"].count, outcome["male"].of) == (0, 1)
    # b's year is not over on 2026-08-31
    early = kpis(
        [a.journey, b.journey],
        municipality_code="0301",
        year=2025,
        as_of=d("2026-08-31"),
        quota_requested=None,
        sexes={},
        work_or_education_target=None,
    )
    assert early.work_or_education_after_one_year["all"].of == 1
    assert "work_or_education_after_one_year,female,1.0,1,1" in report.csv()
    assert "0301,2025,family_reunification,children,1,," in report.csv()


def _with_records(story: Story) -> Story:
    settled_on = story.entries[0].facts["settled_on"]
    story.waitlisted(settled_on)
    return story.add(
        CaseOpened,
        municipality_code="0301",
        opened_on=d(settled_on),
        competence_mapping_due_on=d(settled_on) + timedelta(days=90),
    )


def _mapping(on: str) -> dict[str, object]:
    return {
        "completed_on": d(on),
        "education_level": "secondary",
        "years_of_work_experience": 3.0,
        "occupation_codes": [],
        "driving_licence": False,
        "entrepreneurial_experience": False,
        "language_level": None,
    }


def _plan(on: str) -> dict[str, object]:
    return {
        "end_goal": EndGoal.WORK,
        "language_goal": CefrLevel.B1,
        "programme_months": 24,
        "agreed_on": d(on),
    }


def _placement(on: str, **fields: object) -> dict[str, object]:
    return {
        "placement_id": uuid4(),
        "kind": PlacementKind.WORK_PRACTICE,
        "starts_on": d(on),
        "hours_per_week": 30.0,
        **fields,
    }


def _enrolment(starts_on: str, *, enrolled_on: str, code: str = "0301") -> dict[str, object]:
    return {
        "course_id": uuid4(),
        "track": Track.CLASSROOM,
        "municipality_code": code,
        "course_starts_on": d(starts_on),
        "enrolled_on": d(enrolled_on),
    }


# A deadline kept in code: a constant or a setting counting months, weeks or days to a duty, or a call
# adding a fixed number of months to a date. Thresholds of Samvirke's own (gaps, retention) have files.
_DEADLINE_IN_CODE = re.compile(
    r"^[A-Z_]*(MONTHS|WEEKS|WINDOW|REQUIRED|WITHIN)[A-Z_]*\s*=\s*\d"
    r"|^\s+\w*within_(months|weeks)\w*\s*:"
    r"|add_months\([^,()]+,\s*\d+\)",
    re.MULTILINE,
)


def _deadlines_in(text: str) -> list[str]:
    return [match.group(0).strip() for match in _DEADLINE_IN_CODE.finditer(text)]


# Not an agency's deadline: the national indicator "in work or education one year after the programme"
# is read on that day.
_NOT_DEADLINES = {"services/settlement/coordination/kpis.py": ["add_months(closed.occurred_on, 12)"]}


def test_no_statutory_deadline_is_kept_outside_the_rule_files() -> None:
    root = Path(__file__).resolve().parents[2]
    found = {
        str(path.relative_to(root)): hits
        for folder in ("services", "shared")
        for path in sorted((root / folder).rglob("*.py"))
        if "migrations" not in path.parts and (hits := _deadlines_in(path.read_text()))
    }
    assert found == _NOT_DEADLINES, "read the deadline from shared/domain/statutory instead"
    # The check finds what the job centre used to keep of its own.
    assert _deadlines_in("FOLLOW_UPS_REQUIRED = 4\n") == ["FOLLOW_UPS_REQUIRED = 4"]
    assert _deadlines_in("    competence_mapping_within_months: int = 3\n") != []
    assert _deadlines_in("due = add_months(case.settled_on, 6)") != []


def test_a_quota_refugee_child_or_adult_is_offered_a_health_assessment_within_6_months() -> None:
    child = Story().settled("2025-03-10", code="530", adult=False, registered_resident_on=d("2025-03-12"))
    clock = child.clocks(DK, "2025-09-13")["dk.health-assessment"]
    assert (clock.started_on, clock.due_on, clock.status) == (
        d("2025-03-12"),
        d("2025-09-12"),
        ClockStatus.BREACHED,
    )
    child.add(HealthAssessmentOffered, offered_on=d("2025-05-02"))
    assert child.clocks(DK, "2025-09-13")["dk.health-assessment"].status is ClockStatus.MET
    # A refugee the Immigration Service placed is offered one only if the municipality finds a need.
    placed = Story().settled("2025-06-20", code="530", **visited("2025-05-15"))
    assert "dk.health-assessment" not in placed.clocks(DK, "2026-06-01")
