"""The four agencies: each publishes its own topic, keeps its own store and accepts its own tokens."""

from enum import StrEnum


class Agency(StrEnum):
    SETTLEMENT = "settlement"
    EDUCATION = "education"
    EMPLOYMENT = "employment"
    VOLUNTEERING = "volunteering"
