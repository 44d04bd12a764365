"""Settlement's coordination wing: the view across agencies, built only from the events they publish.

The municipality's refugee office coordinates, so this lives in settlement:
each newcomer's journey, statutory clocks (rule sets per country, as data in
`rules/*.toml`), registration gaps between agencies, and key figures per
municipality and year.

- `journey`, `clocks`, `gaps`, `kpis`, `rules`: pure functions over events, rules as data.
- `handlers`: the wing's use cases (journeys kept, clocks and gaps read, sweeps published).
- `api`: the coordinator's routes, under `/coordination`.
"""

from shared.domain.statutory import InvalidRules, RuleSet, load_rule_sets

from .clocks import Clock, ClockStatus, clocks_of
from .gaps import Gap, GapKind, Thresholds, gaps_of
from .journey import JOURNEY_EVENTS, Journey, entry_for
from .kpis import KpiReport, kpis

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
