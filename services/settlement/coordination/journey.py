"""A newcomer's journey: every agency's events about them, in order, read as facts."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any
from uuid import UUID

from shared.contracts.envelope import Envelope
from shared.contracts.events import ErasureCompleted, Event, education, employment, settlement, volunteering
from shared.runtime.store import new_row

from ..models import JourneyEntry

# The date each event is about. Events without one are dated by when they were sent.
OCCURRED: dict[type[Event], str] = {
    settlement.NewcomerRegistered: "registered_on",
    settlement.NewcomerSettled: "settled_on",
    settlement.ConsentGiven: "given_at",
    settlement.ConsentWithdrawn: "withdrawn_at",
    settlement.HandoverCompleted: "completed_on",
    settlement.NewcomerDeparted: "departed_on",
    settlement.IntegrationPlanAgreed: "agreed_on",
    settlement.HealthAssessmentOffered: "offered_on",
    settlement.LegalDatesRecorded: "recorded_on",
    settlement.ClockAtRisk: "found_on",
    settlement.ClockBreached: "breached_on",
    settlement.ClockResolved: "resolved_on",
    settlement.RegistrationGapFound: "found_on",
    settlement.RegistrationGapClosed: "closed_on",
    education.LearnerEnrolled: "enrolled_on",
    education.LearnerWaitlisted: "waitlisted_on",
    education.LevelAssessed: "tested_on",
    education.UnexplainedAbsenceAlert: "raised_on",
    education.CourseCompleted: "completed_on",
    education.LearnerWithdrawn: "withdrawn_on",
    employment.CaseOpened: "opened_on",
    employment.MappingCompleted: "completed_on",
    employment.PlacementStarted: "starts_on",
    employment.PlacementEnded: "ended_on",
    employment.LanguageMentorRequested: "requested_on",
    employment.CaseTransferred: "transferred_on",
    employment.FollowUpHeld: "held_on",
    employment.EmploymentStarted: "started_on",
    employment.EducationStarted: "started_on",
    employment.CaseClosed: "closed_on",
    volunteering.MatchRequestOpened: "opened_on",
    volunteering.LanguageMentorMatched: "matched_on",
    volunteering.FriendMatched: "matched_on",
    volunteering.MatchEnded: "ended_on",
    settlement.SettlementTaskChanged: "changed_on",
    education.EducationTaskChanged: "changed_on",
    employment.EmploymentTaskChanged: "changed_on",
    volunteering.VolunteeringTaskChanged: "changed_on",
}

# The dates the law counts from, which the settlement carries and a later record may give or correct.
LEGAL_DATES = ("placement_decided_on", "registered_resident_on", "early_takeover_on")

# What the coordinator sees: every agency's case events, never the personal-details topics.
JOURNEY_EVENTS: tuple[type[Event], ...] = tuple(
    event
    for event in (*settlement.EVENTS, *education.EVENTS, *employment.EVENTS, *volunteering.EVENTS)
    if event.topic in {settlement.TOPIC, education.TOPIC, employment.TOPIC, volunteering.TOPIC}
    and not issubclass(event, (settlement.ErasureRequested, ErasureCompleted))  # privacy, not the journey
)


def entry_for(event: Event, envelope: Envelope) -> JourneyEntry:
    facts = event.model_dump(mode="json", exclude={"newcomer_id"})
    field = OCCURRED.get(type(event))
    occurred = getattr(event, field) if field else envelope.time
    return new_row(
        JourneyEntry,
        source=envelope.source,
        event_id=envelope.id,
        newcomer_id=event.newcomer_id,
        agency=agency_of(event.type),
        type=event.type,
        occurred_on=occurred.date() if isinstance(occurred, datetime) else occurred,
        recorded_at=envelope.time,
        facts=facts,
    )


def agency_of(event_type: str) -> str:
    """`samvirke.education.learner.enrolled.v1` → `education`."""
    parts = event_type.split(".")
    return parts[1] if len(parts) > 2 else "unknown"


@dataclass(frozen=True)
class Journey:
    """One newcomer's entries, ordered by the date they are about, then by when they were sent."""

    newcomer_id: UUID
    entries: Sequence[JourneyEntry]

    def of(self, *types: type[Event]) -> list[JourneyEntry]:
        return self.of_types(event.type for event in types)

    def of_types(self, types: Iterable[str]) -> list[JourneyEntry]:
        wanted = set(types)
        return [entry for entry in self.entries if entry.type in wanted]

    def first(self, *types: type[Event]) -> JourneyEntry | None:
        return next(iter(self.of(*types)), None)

    @property
    def settled(self) -> JourneyEntry | None:
        return self.first(settlement.NewcomerSettled)

    @cached_property
    def settled_facts(self) -> dict[str, Any]:
        """The settlement's facts, with the legal dates recorded since (the latest record of each)."""
        if self.settled is None:
            return {}
        facts = dict(self.settled.facts)
        for entry in self.of(settlement.LegalDatesRecorded):
            facts.update(
                {name: value for name in LEGAL_DATES if (value := entry.facts.get(name)) is not None}
            )
        return facts

    def facts_of(self, entry: JourneyEntry) -> dict[str, Any]:
        """An entry's facts; the settlement's with the legal dates recorded since."""
        return self.settled_facts if entry is self.settled else entry.facts

    @property
    def settled_on(self) -> date | None:
        return self.settled.occurred_on if self.settled else None

    @property
    def is_adult(self) -> bool:
        return bool(self.fact(self.settled, "age_group") == settlement.AgeGroup.ADULT)

    def municipality_on(self, day: date) -> str | None:
        """Where the newcomer lived on `day`: the settling municipality, or the last one handed over to."""
        code: str | None = self.fact(self.settled, "municipality_code")
        for handover in self.of(settlement.HandoverCompleted):
            if handover.occurred_on <= day:
                code = handover.facts["to_municipality_code"]
        return code

    @staticmethod
    def fact(entry: JourneyEntry | None, name: str) -> Any:
        return entry.facts.get(name) if entry is not None else None
