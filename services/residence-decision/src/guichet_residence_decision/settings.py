"""Residence-decision settings: ``GUICHET_RESIDENCE_DECISION_*`` plus the shared ``GUICHET_*``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from guichet_core.kernel.settings import ServiceSettings


class ResidenceDecisionSettings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore", env_prefix="GUICHET_RESIDENCE_DECISION_")

    port: int = 8003
