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
