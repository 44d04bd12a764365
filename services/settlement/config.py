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
