from pydantic import Field

from shared.config import ServiceSettings


class EmploymentSettings(ServiceSettings):
    service_name: str = "employment"
    port: int = 8003
    competence_mapping_within_months: int = Field(default=3, ge=1, description="Norway: within 3 months")
