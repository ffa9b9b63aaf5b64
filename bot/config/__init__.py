"""The operator config file (TOML) as frozen, validated settings; secrets come from the env.

A bad file never starts the bot: `load_settings` raises one `ConfigError` that lists every
problem with its key path and line, e.g.
`line 23, communities[1].posts.schedules[0].cron: invalid cron expression ...`.

Each feature declares its own table under `[[communities]]` with a `ConfigSection`;
`community.section(Model)` reads it.
"""

from __future__ import annotations

from bot._toml_lines import KeyPath
from bot.config._base import Cron, Slug
from bot.config._base import _Model as ConfigModel
from bot.config._checks import Finding, suggestion
from bot.config._errors import ConfigError, ConfigProblem, format_path
from bot.config._load import load_settings, parse_settings
from bot.config._models import (
    CommunityConfig,
    ConsoleSettings,
    DiscordSettings,
    IngestSettings,
    SchedulerSettings,
    Settings,
    SlackSettings,
)
from bot.config._observability import ObservabilityConfig
from bot.config._secrets import Secrets, check_secrets
from bot.config._sections import ConfigSection, registered_sections

__all__ = [
    "CommunityConfig",
    "ConfigError",
    "ConfigModel",
    "ConfigProblem",
    "ConfigSection",
    "ConsoleSettings",
    "Cron",
    "DiscordSettings",
    "Finding",
    "IngestSettings",
    "KeyPath",
    "ObservabilityConfig",
    "SchedulerSettings",
    "Secrets",
    "Settings",
    "SlackSettings",
    "Slug",
    "check_secrets",
    "format_path",
    "load_settings",
    "parse_settings",
    "registered_sections",
    "suggestion",
]
