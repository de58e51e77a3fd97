"""OnssFeed settings: ``GUICHET_ONSS_FEED_*`` plus the shared ``GUICHET_*`` variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from guichet_core.kernel.settings import ServiceSettings


class OnssFeedSettings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore", env_prefix="GUICHET_ONSS_FEED_")

    port: int = 8004
    # Records per transaction of a streamed import: memory stays flat whatever the file.
    import_batch_size: int = 1000
    # Records a JSON batch (POST /batches/{source}) may hold.
    max_batch_records: int = 10_000
    # The largest streamed import (GUICHET_ONSS_FEED_IMPORT_MAX_BYTES), counted as it
    # arrives, and the largest JSON batch: larger bodies are refused with 413.
    import_max_bytes: int = 1024 * 1024 * 1024
    batch_max_bytes: int = 16 * 1024 * 1024
    # How many rejections an answer lists (the count is always complete).
    max_reported_rejections: int = 10_000
