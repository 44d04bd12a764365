"""The values case events may carry besides ids, dates and numbers: codes, each a closed pattern, and the
few texts that come from reference data or from code, never typed about a person.

The catalogue's test holds every case event to this: a string that is neither a code, a date nor one of
the marked texts fails it, so free text (a note, a reason in staff's own words) cannot reach a case topic.
"""

from typing import Annotated, Any

from pydantic import Field, StringConstraints

MunicipalityCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{3,4}$")]  # Norway 4 digits, Denmark 3
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]  # ISO 639-1 or -3
OccupationCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]  # ISCO-08 unit group / STYRK-08
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.:-]{0,99}$")]  # a rule id, a kind, a table
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


def reference_text(origin: str) -> Any:
    """Marks a text field of a case event as coming from `origin` (reference data, or the service's own
    code), never typed about a person; the published schema says where it comes from."""
    return Field(json_schema_extra={"x-reference-text": origin})


# A district of the municipality's own list (settlement's reference data), e.g. "Grorud".
District = Annotated[str, reference_text("one of the municipality's districts, from its reference data")]
