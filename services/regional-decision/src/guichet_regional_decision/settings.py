"""Regional-decision settings: ``GUICHET_REGIONAL_DECISION_*`` plus the shared ``GUICHET_*``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from guichet_core.kernel.settings import ServiceSettings


class RegionalDecisionSettings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore", env_prefix="GUICHET_REGIONAL_DECISION_")

    port: int = 8002
