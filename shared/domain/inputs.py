"""What staff may type: dates as ISO strings, text in one normal form, codes checked as typed.

Every service's request schemas are built from these, so a bad value is a
422 naming its field, never a surprise further in. Text is NFC-normalised
and refused when it holds characters that would make it display as other
text (controls, bidirectional overrides, zero-width characters).
"""

import re
import unicodedata
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Unicode categories that print nothing or reorder what follows: controls (Cc), format
# characters such as U+202E RIGHT-TO-LEFT OVERRIDE or U+200B ZERO WIDTH SPACE (Cf),
# private use and surrogates (Co, Cs), and line or paragraph separators (Zl, Zp).
_HIDDEN = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})
_NOTE_ALLOWED = frozenset("\n\r\t")


def _iso_date(value: Any) -> Any:
    # pydantic would take 0 or "0" as a Unix time; a date staff enter is YYYY-MM-DD.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("must be a date as YYYY-MM-DD")


def visible(text: str, *, allowed: frozenset[str] = frozenset()) -> str:
    """`text` in NFC; ValueError if it holds a character that displays as nothing or reorders text."""
    normal = unicodedata.normalize("NFC", text)
    for character in normal:
        if character not in allowed and unicodedata.category(character) in _HIDDEN:
            raise ValueError(f"must not contain the invisible or control character U+{ord(character):04X}")
    return normal


def line(text: str) -> str:
    """One line of text as stored: stripped, not blank, visible."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("must not be blank")
    return visible(stripped)


def lines(text: str) -> str:
    """Text of several lines as stored: stripped, visible but for line breaks and tabs."""
    return visible(text.strip(), allowed=_NOTE_ALLOWED)


def folded(text: str) -> str:
    """`text` as name search compares it: case-folded, accents and marks removed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
# The schema's limits hold for the text as sent; what is stored is then stripped (a client's own
# check of a value against the published schema must agree with the service's).
Text = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(line)]
Note = Annotated[str, StringConstraints(max_length=2000), AfterValidator(lines)]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
CountryCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z]{2}$"), AfterValidator(str.upper)
]  # ISO 3166-1 alpha-2, checked before it is upper-cased
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ]{6,20}$"), AfterValidator(str.strip)]
Email = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
OccupationCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]  # ISCO-08 unit group / STYRK-08
MunicipalityCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{3,4}$")]  # Norway 4 digits, Denmark 3
