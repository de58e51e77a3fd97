"""Configuration from the environment, with safe defaults for one machine.

Shared by every service (names without a service prefix):
- ``GUICHET_BACKEND``: ``embedded`` (default: SQLite files + the embedded log under
  ``GUICHET_DATA_DIR``) or ``postgres-kafka`` (needs ``DATABASE_URL`` and ``KAFKA_BOOTSTRAP``).
- ``GUICHET_OTEL_EXPORTER``: ``none`` (default), ``console`` or ``otlp`` (then the
  standard ``OTEL_EXPORTER_OTLP_*`` variables apply).
- ``GUICHET_NAMESPACE``: optional prefix of schemas, topics and consumer groups.
- ``GUICHET_IDEMPOTENCY_TTL_SECONDS``: how long a POST's ``Idempotency-Key`` keeps its
  first answer (default 86400, a day).
Per service, prefixed: ``GUICHET_<SERVICE>_PORT``, ``GUICHET_<SERVICE>_HOST``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:  # the engines' module imports SQLAlchemy and Alembic: not for reading settings
    from guichet_core.store.database import DatabaseConfig


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(
        extra="ignore", env_prefix="GUICHET_SERVICE_", populate_by_name=True
    )

    backend: Literal["embedded", "postgres-kafka"] = Field(
        default="embedded", validation_alias=AliasChoices("GUICHET_BACKEND")
    )
    data_dir: Path = Field(default=Path("var"), validation_alias=AliasChoices("GUICHET_DATA_DIR"))
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "GUICHET_DATABASE_URL")
    )
    kafka_bootstrap: str | None = Field(
        default=None, validation_alias=AliasChoices("KAFKA_BOOTSTRAP", "GUICHET_KAFKA_BOOTSTRAP")
    )
    otel_exporter: Literal["none", "console", "otlp"] = Field(
        default="none", validation_alias=AliasChoices("GUICHET_OTEL_EXPORTER")
    )
    namespace: str = Field(
        default="",
        validation_alias=AliasChoices("GUICHET_NAMESPACE"),
        description="Prefix for schemas, topics and consumer groups, so that several "
        "platforms (e.g. parallel test runs) can share one PostgreSQL and one Kafka",
        pattern=r"^([a-z][a-z0-9_]{0,30}_)?$",
    )
    store: str | None = Field(
        default=None,
        description="Name of the service's own schema (or SQLite file); default: its name. "
        "A second store for the same service reads the whole log into its own tables.",
        pattern=r"^[a-z][a-z0-9_]{0,40}$",
    )
    idempotency_ttl_seconds: int = Field(
        default=86_400,
        ge=60,
        validation_alias=AliasChoices("GUICHET_IDEMPOTENCY_TTL_SECONDS", "idempotency_ttl_seconds"),
        description="How long a POST's Idempotency-Key keeps its first answer (24 h)",
    )
    idempotency_lease_seconds: float = Field(
        default=60,
        gt=0,
        le=3600,
        validation_alias=AliasChoices(
            "GUICHET_IDEMPOTENCY_LEASE_SECONDS", "idempotency_lease_seconds"
        ),
        description="How long a first request with an Idempotency-Key may run before a "
        "retry presumes it dead and takes over (nothing it did not commit is lost)",
    )
    db_pool_size: int = Field(
        default=5,
        ge=1,
        le=100,
        validation_alias=AliasChoices("GUICHET_DB_POOL_SIZE", "db_pool_size"),
        description="Connections each database engine keeps open (PostgreSQL)",
    )
    db_max_overflow: int = Field(
        default=5,
        ge=0,
        le=100,
        validation_alias=AliasChoices("GUICHET_DB_MAX_OVERFLOW", "db_max_overflow"),
        description="Connections an engine may open beyond its pool under load (PostgreSQL)",
    )
    host: str = "127.0.0.1"
    port: int = 8000

    def named(self, name: str) -> str:
        """A topic, schema or group name inside this platform's namespace."""
        return self.namespace + name

    def database(self, name: str) -> DatabaseConfig:
        """The database of one store of this platform (``name`` before the namespace): a
        schema of PostgreSQL, or a SQLite file in the data directory."""
        from guichet_core.store.database import DatabaseConfig

        name = self.named(name)
        if self.backend == "postgres-kafka":
            assert self.database_url is not None  # checked by the validator below
            return DatabaseConfig(
                url=self.database_url,
                schema=name,
                pool_size=self.db_pool_size,
                max_overflow=self.db_max_overflow,
            )
        return DatabaseConfig(url=f"sqlite:///{self.data_dir / (name + '.sqlite3')}")

    @model_validator(mode="after")
    def _production_needs_servers(self) -> Self:
        if self.backend == "postgres-kafka":
            missing = [
                name
                for name, value in (
                    ("DATABASE_URL", self.database_url),
                    ("KAFKA_BOOTSTRAP", self.kafka_bootstrap),
                )
                if not value
            ]
            if missing:
                raise ValueError(
                    "GUICHET_BACKEND=postgres-kafka needs " + " and ".join(missing) + " to be set"
                )
        return self
