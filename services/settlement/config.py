from pathlib import Path

from pydantic import Field

from shared.config import ServiceSettings


class SettlementSettings(ServiceSettings):
    service_name: str = "settlement"
    port: int = 8001
    district_max_share: float = Field(
        default=0.5, gt=0, le=1, description="Largest share of a year's settlements one district may take"
    )
    district_guard_min_settlements: int = Field(
        default=4, ge=1, description="The spread guard applies from this many settlements in a year"
    )
    coordination_sweep_interval_s: float = Field(
        default=3600, ge=0, description="How often clock breaches and gaps are published; 0 turns it off"
    )
    gap_record_within_days: int = Field(
        default=14, ge=0, description="A settled adult without a learner record or a case this long is a gap"
    )
    gap_move_within_days: int = Field(
        default=14, ge=0, description="A record still open this long after a handover or departure is a gap"
    )
    retention_rules: Path | None = Field(
        default=None,
        description="The register's retention rules (a TOML file): when a period has run, the newcomer is "
        "erased across every agency; empty means the built-in services/settlement/handlers/retention.toml",
    )
    retention_sweep_interval_s: float = Field(
        default=3600, ge=0, description="How often retention periods are checked; 0 turns it off"
    )
