"""Whose data a request may see and change: the staff member's municipalities or organisation.

A store built with a `Scope` filters every query by it and refuses to write
a row outside it; a store built without one (a consumer, a sweep, replay)
is the service itself and sees everything it holds.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """The municipalities (settlement, education, employment) or organisation (volunteering) acted for."""

    municipalities: frozenset[str] = frozenset()
    organisation: str | None = None

    def names(self) -> str:
        """The scope in words, for a refusal."""
        if self.organisation is not None:
            return f"organisation {self.organisation}"
        if not self.municipalities:
            return "nothing"
        return "municipalities " + ", ".join(sorted(self.municipalities))
