"""Secrets come from the environment only, and never show up in a repr or a log line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config._errors import ConfigError, ConfigProblem
from bot.config._models import Settings


@dataclass(frozen=True, kw_only=True, slots=True, repr=False)
class Secrets:
    """The tokens and passwords read from environment variables (unset ones are None)."""

    discord_token: str | None = None
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    database_password: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Secrets:
        """Read the secrets from environment variables; empty values count as unset."""

        def read(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        return cls(
            discord_token=read("DISCORD_TOKEN"),
            slack_bot_token=read("SLACK_BOT_TOKEN"),
            slack_app_token=read("SLACK_APP_TOKEN"),
            slack_signing_secret=read("SLACK_SIGNING_SECRET"),
            database_password=read("TERREAU_DATABASE_PASSWORD"),
        )

    def values(self) -> tuple[str, ...]:
        """Return every secret that is set, for log redaction."""
        found = (getattr(self, field.name) for field in fields(self))
        return tuple(value for value in found if value)

    def database_url(self, url: str) -> str:
        """Return `url` with the database password inserted (SQLite has none to insert)."""
        parsed = make_url(url)
        if self.database_password is None or parsed.get_backend_name() == "sqlite":
            return url
        return parsed.set(password=self.database_password).render_as_string(hide_password=False)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{field.name}={'set' if getattr(self, field.name) else 'unset'}"
            for field in fields(self)
        )
        return f"Secrets({shown})"


def check_secrets(settings: Settings, secrets: Secrets) -> None:
    """Raise ConfigError naming each environment variable the configured platforms need."""
    present = {
        "DISCORD_TOKEN": secrets.discord_token,
        "SLACK_BOT_TOKEN": secrets.slack_bot_token,
        "SLACK_APP_TOKEN": secrets.slack_app_token,
        "SLACK_SIGNING_SECRET": secrets.slack_signing_secret,
    }
    slack_mode = "SLACK_APP_TOKEN" if settings.slack.mode == "socket" else "SLACK_SIGNING_SECRET"
    needs = {"discord": ("DISCORD_TOKEN",), "slack": ("SLACK_BOT_TOKEN", slack_mode)}
    reported: set[str] = set()
    problems: list[ConfigProblem] = []
    for index, community in enumerate(settings.communities):
        for name in needs.get(community.platform, ()):
            if present[name] is None and name not in reported:
                reported.add(name)
                why = f" in slack.mode = {settings.slack.mode!r}" if name == slack_mode else ""
                problems.append(
                    ConfigProblem(
                        path=f"communities[{index}].platform",
                        message=f"set the {name} environment variable: "
                        f"{community.key} is on {community.platform}{why}",
                    )
                )
    if problems:
        raise ConfigError(settings.config_path or Path("<settings>"), problems)
