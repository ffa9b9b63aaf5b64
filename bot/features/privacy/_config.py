"""How long a community's data is kept, and how members' requests are handled."""

from __future__ import annotations

from typing import Self

from pydantic import Field, StrictInt, model_validator

from bot.config import ConfigModel, Cron


class PrivacyConfig(ConfigModel):
    """Retention of the interaction log and of message text, and the daily purge."""

    retention_days: StrictInt = Field(default=395, ge=1)
    """Raw interactions older than this are deleted (13 months by default)."""
    content_retention_days: StrictInt = Field(default=30, ge=1)
    """Message text, when `[ingest] store_content` is on, is blanked after this."""
    rollup_retention_days: StrictInt = Field(default=1096, ge=1)
    """Daily per-member counts are kept longer than the raw log (3 years by default)."""
    departure_grace_days: StrictInt = Field(default=30, ge=0)
    """After Terreau is removed from the community, its data is deleted after this."""
    export_retention_hours: StrictInt = Field(default=24, ge=1)
    """A member's export file is deleted from the server after this."""
    purge_cron: Cron = "17 3 * * *"
    """When the daily purge runs, in the community's timezone."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.content_retention_days > self.retention_days:
            raise ValueError(
                f"content_retention_days ({self.content_retention_days}) cannot be longer than "
                f"retention_days ({self.retention_days}): text goes before the log it belongs to"
            )
        if self.rollup_retention_days < self.retention_days:
            raise ValueError(
                f"rollup_retention_days ({self.rollup_retention_days}) cannot be shorter than "
                f"retention_days ({self.retention_days}): rollups summarise the log"
            )
        return self
