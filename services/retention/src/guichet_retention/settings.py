"""Retention settings: ``GUICHET_RETENTION_*`` plus the shared ``GUICHET_*`` variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from guichet_core.settings import ServiceSettings


class RetentionSettings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore", env_prefix="GUICHET_RETENTION_")

    port: int = 8006
