from pydantic import Field

from shared.config import ServiceSettings


class EducationSettings(ServiceSettings):
    service_name: str = "education"
    port: int = 8002
    absence_alert_threshold: float = Field(
        default=0.2,
        gt=0,
        le=1,
        description="Share of sessions with unexplained absence that alerts the job centre",
    )
    absence_alert_min_sessions: int = Field(
        default=5, ge=1, description="Sessions recorded before the absence rate can alert"
    )
