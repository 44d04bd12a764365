"""The four agencies: each publishes its own topic, keeps its own store and accepts its own tokens."""

from enum import StrEnum


class Agency(StrEnum):
    SETTLEMENT = "settlement"
    EDUCATION = "education"
    EMPLOYMENT = "employment"
    VOLUNTEERING = "volunteering"


def source_of(agency: Agency) -> str:
    """The CloudEvents `ce_source` of everything `agency` publishes."""
    return f"/samvirke/{agency}"


def owner_of(topic: str) -> Agency:
    """The agency whose topic this is: the first part of its catalogued name."""
    return Agency(topic.split(".", 1)[0])


# What each agency's broker principal may read beside its own topics: its legal basis as data.
# Education and the job centre hold the personal details they need for their statutory duties;
# volunteer organisations only the contact of a newcomer who consented. Services read exactly
# these (a unit test holds them to it); deploy/ grants them as Kafka ACLs.
READS: dict[Agency, tuple[str, ...]] = {
    Agency.SETTLEMENT: (  # and the others' access logs, which it keeps for each person
        "education.events",
        "employment.events",
        "volunteering.events",
        "education.access-log",
        "employment.access-log",
        "volunteering.access-log",
    ),
    Agency.EDUCATION: (
        "settlement.events",
        "settlement.personal-details",
        "employment.events",
        "volunteering.events",
    ),
    Agency.EMPLOYMENT: (
        "settlement.events",
        "settlement.personal-details",
        "education.events",
        "volunteering.events",
    ),
    Agency.VOLUNTEERING: ("settlement.events", "settlement.volunteer-contacts", "employment.events"),
}
