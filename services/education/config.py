from shared.config import ServiceSettings


class EducationSettings(ServiceSettings):
    service_name: str = "education"
    port: int = 8002
