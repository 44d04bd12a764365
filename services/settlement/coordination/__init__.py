"""Cross-agency coordination, built only from the events agencies publish.

The municipality's refugee office coordinates, so this lives in settlement:
each newcomer's journey, statutory clocks (rule sets per country, as data),
registration gaps between agencies, and key figures per municipality and year.
"""

from .clocks import Clock, ClockStatus, clocks_of
from .gaps import Gap, GapKind, Thresholds, gaps_of
from .journey import JOURNEY_EVENTS, Journey, entry_for
from .kpis import KpiReport, kpis
from .rules import InvalidRules, RuleSet, load_rule_sets

__all__ = [
    "JOURNEY_EVENTS",
    "Clock",
    "ClockStatus",
    "Gap",
    "GapKind",
    "InvalidRules",
    "Journey",
    "KpiReport",
    "RuleSet",
    "Thresholds",
    "clocks_of",
    "entry_for",
    "gaps_of",
    "kpis",
    "load_rule_sets",
]
