"""Consultation settings: ``GUICHET_CONSULTATION_*`` plus the shared ``GUICHET_*`` variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from guichet_core.kernel.settings import ServiceSettings


class ConsultationSettings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore", env_prefix="GUICHET_CONSULTATION_")

    port: int = 8005
    search_limit: int = Field(
        default=30, ge=1, description="Searches per caller in ten minutes (then 429)"
    )
