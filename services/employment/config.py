from shared.config import ServiceSettings


class EmploymentSettings(ServiceSettings):
    service_name: str = "employment"
    port: int = 8003
