"""The staff pages' languages: Norwegian (bokmål), Danish and English, from gettext catalogues.

The messages are written in English in the templates and the code
(`{% trans %}`, `_()`); `locales/<lang>/LC_MESSAGES/messages.po` holds the
Norwegian and Danish ones, extracted and updated with Babel
(`pybabel extract -F babel.cfg`, `pybabel update`). The catalogues are
compiled in memory the first time a language is asked for, so no compiled
`.mo` file is kept in the repository.

Which language a page is in: the `lang` the staff member chose (a cookie),
else the browser's `Accept-Language`, else English. Dates and numbers follow
the same locale (Babel's CLDR data).
"""

import functools
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES: dict[str, str] = {"nb": "Norsk (bokmål)", "da": "Dansk", "en": "English"}
DEFAULT = "en"
COOKIE = "samvirke_lang"


def choose(chosen: str | None, accept_language: str | None) -> str:
    """The language of a page: the chosen one if we have it, else the browser's best, else English."""
    if chosen in LANGUAGES:
        return chosen
    wanted = []
    for part in (accept_language or "").split(","):
        tag, _, quality = part.strip().partition(";q=")
        if not tag:
            continue
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        wanted.append((weight, tag.strip().replace("-", "_")))
    preferred = [tag for _, tag in sorted(wanted, key=lambda pair: -pair[0])]
    # Norwegian without a written standard ("no") and Nynorsk read bokmål best of what we have.
    preferred = [
        "nb" if tag.lower() in ("no", "nn") or tag.lower().startswith(("no_", "nn_")) else tag
        for tag in preferred
    ]
    return negotiate_locale(preferred, list(LANGUAGES), sep="_") or DEFAULT


@functools.cache
def translations(language: str) -> NullTranslations:
    """The compiled catalogue of `language` (English is the messages themselves)."""
    source = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT or not source.exists():
        return NullTranslations()
    with source.open("rb") as file:
        catalog = read_po(file, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


class Formats:
    """Dates and numbers in one locale's format, for the templates."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.locale = Locale.parse(language)

    def date(self, value: date | datetime | str | None, format: str = "medium") -> str:
        if value is None or value == "":
            return "–"
        if isinstance(value, str):
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        if isinstance(value, datetime):
            return format_datetime(value, format="short", locale=self.locale)
        return format_date(value, format=format, locale=self.locale)

    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def percent(self, value: float | None) -> str:
        return "–" if value is None else format_percent(value, locale=self.locale)
