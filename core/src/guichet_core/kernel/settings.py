"""Configuration from the environment, with safe defaults for one machine.

Shared by every service (names without a service prefix):
- ``GUICHET_BACKEND``: ``embedded`` (default: SQLite files + the embedded log under
  ``GUICHET_DATA_DIR``) or ``postgres-kafka`` (needs ``DATABASE_URL`` and ``KAFKA_BOOTSTRAP``).
- ``GUICHET_OTEL_EXPORTER``: ``none`` (default), ``console`` or ``otlp`` (then the
  standard ``OTEL_EXPORTER_OTLP_*`` variables apply).
- ``GUICHET_NAMESPACE``: optional prefix of schemas, topics and consumer groups.
- ``GUICHET_IDEMPOTENCY_TTL_SECONDS``: how long a POST's ``Idempotency-Key`` keeps its
  first answer (default 86400, a day).
- ``GUICHET_MASTER_KEY``: the key store's master key (``master_key``; see ``master_key``).
Per service, prefixed: ``GUICHET_<SERVICE>_PORT``, ``GUICHET_<SERVICE>_HOST``.

Two nested sections keep the names they always had: ``auth`` reads ``GUICHET_AUTH_*``
(``AuthSettings``) and ``smtp`` reads ``GUICHET_SMTP_*`` (``SmtpSettings``). Each is a
settings class of its own, built with the service's settings, so a service reads its
whole configuration once, at its entrypoint, and passes it down.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:  # the engines' module imports SQLAlchemy and Alembic: not for reading settings
    from guichet_core.kernel.store.database import DatabaseConfig

MAIL_DOMAIN = "guichet.belgium.be"


class AuthSettings(BaseSettings):
    """``GUICHET_AUTH_*``: who issues the tokens a service trusts (see ``auth_keys``)."""

    model_config = SettingsConfigDict(
        extra="ignore", env_prefix="GUICHET_AUTH_", populate_by_name=True
    )

    issuer: str = "guichet-dev"
    audience: str = "guichet"
    jwks_url: str | None = None
    public_key_file: Path | None = None
    dev_keys: bool = True
    leeway_seconds: int = Field(default=30, ge=0, le=300)
    # A stolen token opens what its caller may open until it expires (GDPR Art. 32):
    # an applicant's lives an hour at most, an authority agent's one working day.
    max_token_lifetime_seconds: int = Field(default=3600, ge=60, le=86_400)
    max_authority_token_lifetime_seconds: int = Field(default=43_200, ge=60, le=86_400)
    # How stale each service's copy of the token deny-list may be (``revocation``).
    revocation_cache_seconds: float = Field(default=5.0, ge=0, le=5)


class SmtpSettings(BaseSettings):
    """``GUICHET_SMTP_*``; without a host, mails land in ``<data_dir>/mail/`` (a Maildir)."""

    model_config = SettingsConfigDict(extra="ignore", env_prefix="GUICHET_SMTP_")

    host: str | None = None
    port: int = 25
    sender: str = f"noreply@{MAIL_DOMAIN}"
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False


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
    # Wraps every dossier's data key (Art. 11, 27); required by postgres-kafka, else a
    # development key in the data directory (``master_key.master_key_for``).
    master_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("GUICHET_MASTER_KEY", "master_key")
    )
    auth: AuthSettings = Field(default_factory=AuthSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)

    def named(self, name: str) -> str:
        """A topic, schema or group name inside this platform's namespace."""
        return self.namespace + name

    def database(self, name: str) -> DatabaseConfig:
        """The database of one store of this platform (``name`` before the namespace): a
        schema of PostgreSQL, or a SQLite file in the data directory."""
        from guichet_core.kernel.store.database import DatabaseConfig

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
