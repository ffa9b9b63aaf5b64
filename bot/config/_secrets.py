"""Secrets come from the environment only, and never show up in a repr or a log line.

Slack bot tokens are per workspace: `SLACK_BOT_TOKEN_<TEAM ID>` (e.g.
`SLACK_BOT_TOKEN_T0123ABCD`) names one workspace's token, and `SLACK_BOT_TOKEN`
serves a workspace that has none of its own (the single-workspace case).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
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
    matrix_access_token: str | None = None
    database_password: str | None = None
    slack_workspace_tokens: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Secrets:
        """Read the secrets from environment variables; empty values count as unset."""

        def read(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        workspace_tokens = {
            name.removeprefix(SLACK_WORKSPACE_TOKEN_PREFIX): value
            for name in sorted(environ)
            if name.startswith(SLACK_WORKSPACE_TOKEN_PREFIX) and (value := read(name))
        }
        return cls(
            slack_workspace_tokens=workspace_tokens,
            discord_token=read("DISCORD_TOKEN"),
            slack_bot_token=read("SLACK_BOT_TOKEN"),
            slack_app_token=read("SLACK_APP_TOKEN"),
            slack_signing_secret=read("SLACK_SIGNING_SECRET"),
            matrix_access_token=read("MATRIX_ACCESS_TOKEN"),
            database_password=read("TERREAU_DATABASE_PASSWORD"),
        )

    def values(self) -> tuple[str, ...]:
        """Return every secret that is set, for log redaction."""
        found = [getattr(self, f.name) for f in fields(self) if f.name != "slack_workspace_tokens"]
        found.extend(self.slack_workspace_tokens.values())
        return tuple(value for value in found if value)

    def slack_bot_token_for(self, team_id: str) -> str | None:
        """Return the bot token of a Slack workspace: its own, else SLACK_BOT_TOKEN."""
        return self.slack_workspace_tokens.get(team_id) or self.slack_bot_token

    def database_url(self, url: str) -> str:
        """Return `url` with the database password inserted (SQLite has none to insert)."""
        parsed = make_url(url)
        if self.database_password is None or parsed.get_backend_name() == "sqlite":
            return url
        return parsed.set(password=self.database_password).render_as_string(hide_password=False)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={'set' if getattr(self, f.name) else 'unset'}"
            for f in fields(self)
            if f.name != "slack_workspace_tokens"
        )
        teams = ", ".join(sorted(self.slack_workspace_tokens))
        return f"Secrets({shown}, slack_workspace_tokens=[{teams}])"


SLACK_WORKSPACE_TOKEN_PREFIX = "SLACK_BOT_TOKEN_"  # noqa: S105 (a variable name)
"""`SLACK_BOT_TOKEN_T0123ABCD` holds the bot token of workspace T0123ABCD."""


def check_secrets(settings: Settings, secrets: Secrets) -> None:
    """Raise ConfigError naming each environment variable the configured platforms need."""
    present = {
        "DISCORD_TOKEN": secrets.discord_token,
        "SLACK_BOT_TOKEN": secrets.slack_bot_token,
        "SLACK_APP_TOKEN": secrets.slack_app_token,
        "SLACK_SIGNING_SECRET": secrets.slack_signing_secret,
        "MATRIX_ACCESS_TOKEN": secrets.matrix_access_token,
    }
    slack_mode = "SLACK_APP_TOKEN" if settings.slack.mode == "socket" else "SLACK_SIGNING_SECRET"
    needs = {
        "discord": ("DISCORD_TOKEN",),
        "slack": ("SLACK_BOT_TOKEN", slack_mode),
        "matrix": ("MATRIX_ACCESS_TOKEN",),
    }
    reported: set[str] = set()
    problems: list[ConfigProblem] = []
    shared_token: list[str] = []
    for index, community in enumerate(settings.communities):
        if community.platform == "slack" and community.id not in secrets.slack_workspace_tokens:
            shared_token.append(community.id)
            if len(shared_token) == 2:
                problems.append(
                    ConfigProblem(
                        path=f"communities[{index}].id",
                        message="several Slack workspaces share SLACK_BOT_TOKEN, but a bot "
                        "token belongs to one workspace: set "
                        + " and ".join(f"{SLACK_WORKSPACE_TOKEN_PREFIX}{t}" for t in shared_token)
                        + " (one per workspace)",
                    )
                )
        for name in needs.get(community.platform, ()):
            missing = (
                secrets.slack_bot_token_for(community.id) is None
                if name == "SLACK_BOT_TOKEN"
                else present[name] is None
            )
            if missing and name not in reported:
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
