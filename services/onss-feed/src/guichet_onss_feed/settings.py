"""OnssFeed settings: ``GUICHET_ONSS_FEED_*`` plus the shared ``GUICHET_*`` variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from guichet_core.settings import ServiceSettings


class OnssFeedSettings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore", env_prefix="GUICHET_ONSS_FEED_")

    port: int = 8004
