from shared.config import ServiceSettings


class VolunteeringSettings(ServiceSettings):
    service_name: str = "volunteering"
    port: int = 8004
