"""Intake settings: ``GUICHET_INTAKE_*`` plus the shared ``GUICHET_*`` variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from guichet_core.kernel.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore", env_prefix="GUICHET_INTAKE_")

    port: int = 8001
    # Art. 34, 36: the professional-card procedure opens on a date a later agreement sets.
    professional_card_enabled: bool = False
