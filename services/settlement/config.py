from shared.config import ServiceSettings


class SettlementSettings(ServiceSettings):
    service_name: str = "settlement"
    port: int = 8001
