"""The settings every service shares, read from the environment."""

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Base for each service's settings class.

    Standard variables (`KAFKA_BOOTSTRAP_SERVERS`, `DATABASE_URL`) keep their
    usual names; the rest are prefixed with `SAMVIRKE_`.
    """

    model_config = SettingsConfigDict(env_prefix="SAMVIRKE_", extra="ignore")

    service_name: str
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "kafka_bootstrap_servers"),
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="How the service talks to the broker; SASL_* authenticates it"
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_username: str = Field(default="", description="The service's broker principal (SASL)")
    kafka_password: SecretStr = Field(default=SecretStr(""), description="Its password (SASL)")
    kafka_topic_partitions: int = Field(default=3, ge=1)
    kafka_topic_prefix: str = Field(
        default="", description="Prefix of every topic and consumer group, e.g. 'staging.'"
    )
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("DATABASE_URL", "database_url"),
        description="SQLAlchemy async URL; empty means a SQLite file under data_dir.",
    )
    data_dir: str = ".run"
    statutory_rules_dir: Path | None = Field(
        default=None,
        description="Folder of statutory rule sets (*.toml, one per country), read by settlement's clocks "
        "and employment's duties alike; empty means the built-in Norwegian and Danish ones",
    )
    sqlite_busy_timeout_s: float = Field(
        default=30.0, gt=0, description="How long a SQLite write waits for the lock before it fails"
    )
    oidc_issuers: Annotated[list[str], NoDecode] = Field(
        min_length=1,
        description="OpenID Connect issuer URLs whose tokens this service accepts (comma-separated)",
    )
    oidc_audience: str = Field(
        default="", description="The token `aud` this service expects; empty: samvirke-<agency>"
    )
    oidc_leeway_s: float = Field(default=30, ge=0, le=300, description="Clock skew allowed on exp and nbf")
    web_client_id: str = Field(
        default="",
        description="The provider's client the staff pages log in with; empty: the service's audience",
    )
    web_session_idle_minutes: float = Field(
        default=30, gt=0, le=24 * 60, description="A staff page session ends after so long without a request"
    )

    @field_validator("oidc_issuers", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [url.strip() for url in value.split(",") if url.strip()]
        return value

    @model_validator(mode="after")
    def _credentials_with_sasl(self) -> "ServiceSettings":
        if self.kafka_security_protocol.startswith("SASL") and not (
            self.kafka_username and self.kafka_password.get_secret_value()
        ):
            protocol = self.kafka_security_protocol
            raise ValueError(f"kafka_security_protocol {protocol} needs kafka_username and kafka_password")
        return self

    def kafka_client_options(self) -> dict[str, Any]:
        """What every Kafka client of the service (aiokafka) is given to authenticate."""
        return kafka_client_options(
            self.kafka_security_protocol,
            self.kafka_sasl_mechanism,
            self.kafka_username,
            self.kafka_password.get_secret_value(),
        )

    host: str = "127.0.0.1"
    port: int = 8000
    outbox_poll_interval_s: float = Field(default=1.0, gt=0)
    outbox_batch_size: int = Field(default=500, ge=1)
    audit_seal_interval_s: float = Field(
        default=1.0, gt=0, description="How often new audit entries are chained (sealed)"
    )
    audit_reads_before_response: bool = Field(
        default=True,
        description="A read's audit entry is committed before its response is sent (true), or moments "
        "after it (false: the request does not wait for a commit; a crash can lose the last moment's "
        "entries of reads)",
    )
    consumer_batch_size: int = Field(
        default=100, ge=1, description="Most records a consumer applies in one transaction"
    )
    shutdown_grace_s: float = Field(
        default=30.0, ge=0, description="How long shutdown waits for the batch being applied"
    )

    def topic_name(self, base: str) -> str:
        return f"{self.kafka_topic_prefix}{base}"

    @property
    def topic(self) -> str:
        return self.topic_name(f"{self.service_name}.events")

    @property
    def dead_letter_topic(self) -> str:
        return self.topic_name(f"{self.service_name}.dlq")

    @property
    def consumer_group(self) -> str:
        return self.topic_name(self.service_name)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir}/{self.service_name}.db"


def kafka_client_options(protocol: str, mechanism: str, username: str, password: str) -> dict[str, Any]:
    """aiokafka's options for a client that authenticates as `username` (none for PLAINTEXT)."""
    if not protocol.startswith("SASL"):
        return {}
    options: dict[str, Any] = {
        "security_protocol": protocol,
        "sasl_mechanism": mechanism,
        "sasl_plain_username": username,
        "sasl_plain_password": password,
    }
    if protocol == "SASL_SSL":
        from aiokafka.helpers import create_ssl_context

        options["ssl_context"] = create_ssl_context()  # the system's trusted authorities
    return options
