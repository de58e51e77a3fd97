"""Retention settings: ``GUICHET_RETENTION_*`` plus the shared ``GUICHET_*`` variables."""

from __future__ import annotations

from datetime import date

from pydantic_settings import SettingsConfigDict

from guichet_core.kernel.settings import ServiceSettings


class RetentionSettings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore", env_prefix="GUICHET_RETENTION_")

    port: int = 8006
    # Art. 27 §1 3°: the time left to appeal after the last decision (Council of State: 60 d).
    appeal_days: int = 60
    purge_interval_seconds: float = 3600.0
    # Demos and acceptance runs may fix "today"; production follows the system clock.
    today: date | None = None
