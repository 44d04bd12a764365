"""Events the settlement service (the municipality's refugee office) publishes.

Case events go to `settlement.events` and carry ids, dates and codes only.
Personal details reach only those entitled to them, on compacted per-person
topics whose latest record per newcomer is the current state and whose
tombstone (a null value) means "forget this person":
`settlement.personal-details` for education and employment staff, and
`settlement.volunteer-contacts`, minimal contact data of newcomers who
consented to volunteer contact, for volunteering.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from shared.contracts.codes import District, Key, MunicipalityCode, reference_text

from .base import Event, TaskChanged

TOPIC = "settlement.events"
PERSONAL_DETAILS_TOPIC = "settlement.personal-details"
VOLUNTEER_CONTACTS_TOPIC = "settlement.volunteer-contacts"


class AgeGroup(StrEnum):
    ADULT = "adult"
    CHILD = "child"


class ArrivalRoute(StrEnum):
    RESETTLEMENT = "resettlement"  # quota refugees
    ASYLUM = "asylum"
    FAMILY_REUNIFICATION = "family_reunification"


class ConsentPurpose(StrEnum):
    VOLUNTEER_CONTACT = "volunteer_contact"


class DepartureReason(StrEnum):
    LEFT_COUNTRY = "left_country"
    DECEASED = "deceased"
    OTHER = "other"


class EndGoal(StrEnum):
    WORK = "work"
    EDUCATION = "education"


class CefrLevel(StrEnum):
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"


class HouseholdRelation(StrEnum):
    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    OTHER = "other"


class NewcomerRegistered(Event):
    """A newcomer was entered in the municipality's register."""

    type: ClassVar[str] = "samvirke.settlement.newcomer.registered.v1"
    topic: ClassVar[str] = TOPIC

    registered_on: date
    arrival_route: ArrivalRoute = ArrivalRoute.RESETTLEMENT


class NewcomerSettled(Event):
    """A newcomer was settled in a municipality: the start of every agency's work."""

    type: ClassVar[str] = "samvirke.settlement.newcomer.settled.v1"
    topic: ClassVar[str] = TOPIC

    municipality_code: MunicipalityCode
    district: District
    settled_on: date
    age_group: AgeGroup
    volunteer_contact_consent: bool
    arrival_route: ArrivalRoute = ArrivalRoute.RESETTLEMENT
    household_id: UUID | None = None
    # The dates the law counts deadlines from, where the municipality recorded them (each country's
    # rule set says which it uses for which arrival route; Denmark's takeover, integrationsloven § 4).
    placement_decided_on: date | None = None  # the state's decision placing them here (DK: visitation)
    registered_resident_on: date | None = None  # registered as resident here (DK: CPR; NO: Folkeregisteret)
    early_takeover_on: date | None = None  # an earlier takeover the person consented to


class HouseholdMemberAdded(Event):
    """A newcomer joined a household, e.g. a relative arriving through family reunification."""

    type: ClassVar[str] = "samvirke.settlement.household.member-added.v1"
    topic: ClassVar[str] = TOPIC

    household_id: UUID
    relation: HouseholdRelation
    age_group: AgeGroup
    via_family_reunification: bool
    household_consents_to_volunteer_contact: bool


class ConsentGiven(Event):
    type: ClassVar[str] = "samvirke.settlement.consent.given.v1"
    topic: ClassVar[str] = TOPIC

    purpose: ConsentPurpose
    given_at: datetime


class ConsentWithdrawn(Event):
    type: ClassVar[str] = "samvirke.settlement.consent.withdrawn.v1"
    topic: ClassVar[str] = TOPIC

    purpose: ConsentPurpose
    withdrawn_at: datetime


class HandoverRequested(Event):
    """The newcomer is moving: their case is offered to another municipality."""

    type: ClassVar[str] = "samvirke.settlement.handover.requested.v1"
    topic: ClassVar[str] = TOPIC

    handover_id: UUID
    from_municipality_code: MunicipalityCode
    to_municipality_code: MunicipalityCode


class HandoverAccepted(Event):
    type: ClassVar[str] = "samvirke.settlement.handover.accepted.v1"
    topic: ClassVar[str] = TOPIC

    handover_id: UUID
    to_municipality_code: MunicipalityCode
    to_district: District


class HandoverRejected(Event):
    """v2: without v1's `reason`, in the officer's own words; it stays in the register."""

    type: ClassVar[str] = "samvirke.settlement.handover.rejected.v2"
    topic: ClassVar[str] = TOPIC

    handover_id: UUID


class HandoverCompleted(Event):
    """The receiving municipality took the case over; every agency transfers or closes its record."""

    type: ClassVar[str] = "samvirke.settlement.handover.completed.v1"
    topic: ClassVar[str] = TOPIC

    handover_id: UUID
    from_municipality_code: MunicipalityCode
    to_municipality_code: MunicipalityCode
    to_district: District
    completed_on: date


class HandoverRevoked(Event):
    """v2: without v1's `reason`, in the officer's own words; it stays in the register."""

    type: ClassVar[str] = "samvirke.settlement.handover.revoked.v2"
    topic: ClassVar[str] = TOPIC

    handover_id: UUID


class NewcomerDeparted(Event):
    """The newcomer's settlement is closed: left the country, deceased, or another reason."""

    type: ClassVar[str] = "samvirke.settlement.newcomer.departed.v1"
    topic: ClassVar[str] = TOPIC

    reason: DepartureReason
    departed_on: date


class IntegrationPlanAgreed(Event):
    type: ClassVar[str] = "samvirke.settlement.integration-plan.agreed.v1"
    topic: ClassVar[str] = TOPIC

    end_goal: EndGoal
    language_goal: CefrLevel
    programme_months: int
    agreed_on: date


class HealthAssessmentOffered(Event):
    """The municipality offered the newcomer a health assessment by a doctor (Denmark: integrationsloven
    § 15 d; a quota refugee must be offered one)."""

    type: ClassVar[str] = "samvirke.settlement.health-assessment.offered.v1"
    topic: ClassVar[str] = TOPIC

    offered_on: date


class LegalDatesRecorded(Event):
    """Dates the law counts deadlines from, recorded after the settlement (they were not known then, or
    were wrong): each date given replaces the one the settlement or an earlier record carried."""

    type: ClassVar[str] = "samvirke.settlement.legal-dates.recorded.v1"
    topic: ClassVar[str] = TOPIC

    recorded_on: date
    placement_decided_on: date | None = None
    registered_resident_on: date | None = None
    early_takeover_on: date | None = None


class ClockBreached(Event):
    """A statutory deadline passed without what it asks for: the agency responsible should act."""

    type: ClassVar[str] = "samvirke.settlement.clock.breached.v1"
    topic: ClassVar[str] = TOPIC

    rule_id: Key
    agency: Key
    municipality_code: MunicipalityCode
    started_on: date
    due_on: date
    breached_on: date
    title: str = reference_text("the rule's title, from the country's rule file")  # "" before it was sent


class ClockAtRisk(Event):
    """A statutory deadline is near, or passed but within its limit: the agency responsible should act."""

    type: ClassVar[str] = "samvirke.settlement.clock.at-risk.v1"
    topic: ClassVar[str] = TOPIC

    rule_id: Key
    agency: Key
    municipality_code: MunicipalityCode
    started_on: date
    due_on: date
    limit_on: date
    found_on: date
    title: str = reference_text("the rule's title, from the country's rule file")


class ClockResolved(Event):
    """A clock published as at risk or breached has stopped: what it asks for was done (`met`, perhaps
    late), or it no longer applies (`cancelled`, e.g. the newcomer left)."""

    type: ClassVar[str] = "samvirke.settlement.clock.resolved.v1"
    topic: ClassVar[str] = TOPIC

    rule_id: Key
    agency: Key
    municipality_code: MunicipalityCode
    outcome: Key
    resolved_on: date


class RegistrationGapFound(Event):
    """Agencies' records about the newcomer disagree or miss something: `agency` should look."""

    type: ClassVar[str] = "samvirke.settlement.registration-gap.found.v1"
    topic: ClassVar[str] = TOPIC

    kind: Key
    agency: Key
    municipality_code: MunicipalityCode
    reference: str = reference_text("the record the gap is about: its kind or its id")
    since: date
    found_on: date
    detail: str = reference_text("the coordination rules' own sentence, from the gap's kind, dates and codes")


class RegistrationGapClosed(Event):
    """A registration gap published before is gone: the record it missed arrived, or was moved or closed."""

    type: ClassVar[str] = "samvirke.settlement.registration-gap.closed.v1"
    topic: ClassVar[str] = TOPIC

    kind: Key
    agency: Key
    municipality_code: MunicipalityCode
    reference: str = reference_text("the record the gap was about: its kind or its id")
    closed_on: date


class SettlementTaskChanged(TaskChanged):
    type: ClassVar[str] = "samvirke.settlement.task.changed.v1"
    topic: ClassVar[str] = TOPIC


class LegalGround(StrEnum):
    """Why a newcomer's data is erased (GDPR art. 17(1))."""

    NO_LONGER_NEEDED = "no_longer_needed"  # (a): the purpose is served, e.g. retention ran out
    CONSENT_WITHDRAWN = "consent_withdrawn"  # (b)
    OBJECTION = "objection"  # (c)
    UNLAWFUL = "unlawful"  # (d)
    LEGAL_OBLIGATION = "legal_obligation"  # (e)


class ErasureRequested(Event):
    """Every agency is to erase what identifies the newcomer, and answer with its proof."""

    type: ClassVar[str] = "samvirke.settlement.erasure.requested.v1"
    topic: ClassVar[str] = TOPIC

    erasure_id: UUID
    legal_ground: LegalGround
    requested_on: date


class PersonalDetails(Event):
    """Current name and contact details, for staff of agencies with a legal basis."""

    type: ClassVar[str] = "samvirke.settlement.personal-details.v1"
    topic: ClassVar[str] = PERSONAL_DETAILS_TOPIC

    given_name: str
    family_name: str
    birth_date: date
    sex: str
    languages: list[str]
    phone: str | None
    email: str | None
    address: str | None
    municipality_code: str | None


class VolunteerContact(Event):
    """The least a volunteer organisation needs to make contact, only while consent lasts."""

    type: ClassVar[str] = "samvirke.settlement.volunteer-contact.v1"
    topic: ClassVar[str] = VOLUNTEER_CONTACTS_TOPIC

    given_name: str
    phone: str | None
    languages: list[str]
    municipality_code: str | None
    district: str | None
    age_group: AgeGroup | None = None  # a friend for adults, a leisure buddy for children


EVENTS: tuple[type[Event], ...] = (
    NewcomerRegistered,
    NewcomerSettled,
    HouseholdMemberAdded,
    ConsentGiven,
    ConsentWithdrawn,
    HandoverRequested,
    HandoverAccepted,
    HandoverRejected,
    HandoverCompleted,
    HandoverRevoked,
    NewcomerDeparted,
    IntegrationPlanAgreed,
    HealthAssessmentOffered,
    LegalDatesRecorded,
    ClockAtRisk,
    ClockBreached,
    ClockResolved,
    RegistrationGapFound,
    RegistrationGapClosed,
    SettlementTaskChanged,
    ErasureRequested,
    PersonalDetails,
    VolunteerContact,
)
