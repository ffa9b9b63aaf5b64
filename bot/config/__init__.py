"""The operator config file (TOML) as frozen, validated settings; secrets come from the env.

A bad file never starts the bot: `load_settings` raises one `ConfigError` that lists every
problem with its key path and line, e.g.
`line 23, communities[1].posts.schedules[0].cron: invalid cron expression ...`.
"""

from __future__ import annotations

from bot.config._election import ElectionConfig
from bot.config._errors import ConfigError, ConfigProblem
from bot.config._games import GameScheduleConfig, GamesConfig
from bot.config._icebreaker import (
    ChampionsConfig,
    IcebreakerConfig,
    LevelsConfig,
    WelcomeConfig,
)
from bot.config._load import load_settings, parse_settings
from bot.config._models import (
    CommunityConfig,
    ConsoleSettings,
    DiscordSettings,
    IngestSettings,
    PostsConfig,
    RitualConfig,
    SchedulerSettings,
    Settings,
    SlackSettings,
)
from bot.config._observability import ObservabilityConfig
from bot.config._privacy import PrivacyConfig
from bot.config._report import ReportConfig
from bot.config._secrets import Secrets, check_secrets

__all__ = [
    "ChampionsConfig",
    "CommunityConfig",
    "ConfigError",
    "ConfigProblem",
    "ConsoleSettings",
    "DiscordSettings",
    "ElectionConfig",
    "GameScheduleConfig",
    "GamesConfig",
    "IcebreakerConfig",
    "IngestSettings",
    "LevelsConfig",
    "ObservabilityConfig",
    "PostsConfig",
    "PrivacyConfig",
    "ReportConfig",
    "RitualConfig",
    "SchedulerSettings",
    "Secrets",
    "Settings",
    "SlackSettings",
    "WelcomeConfig",
    "check_secrets",
    "load_settings",
    "parse_settings",
]
