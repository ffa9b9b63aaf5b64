"""Members' data rights and retention: `/terreau me data | export | forget`, daily purges."""

from __future__ import annotations

from bot.domain import BotAdded, BotRemoved
from bot.feature import ConfigSection, Feature, FeatureContext
from bot.features.privacy._commands import declare_commands
from bot.features.privacy._config import PrivacyConfig
from bot.features.privacy._retention import Retention, job_id
from bot.features.privacy._service import CORE_DATA, Held, PrivacyService, export_time

__all__ = [
    "CORE_DATA",
    "FEATURE",
    "Held",
    "PrivacyConfig",
    "PrivacyService",
    "Retention",
    "export_time",
    "job_id",
    "setup",
]


def setup(app: FeatureContext) -> None:
    """Declare the core's personal data, the `me` data commands and the daily purges."""
    app.holds_personal_data(*CORE_DATA)
    declare_commands(app, PrivacyService(app))
    retention = Retention(app)
    retention.schedule_all()
    app.dispatcher.subscribe(BotRemoved, retention.bot_removed)
    app.dispatcher.subscribe(BotAdded, retention.bot_added)


FEATURE = Feature(
    name="privacy", config=ConfigSection("privacy", PrivacyConfig), order=20, setup=setup
)
