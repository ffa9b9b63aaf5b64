"""What a secret looks like: key names that hold one, and Discord or Slack token shapes."""

from __future__ import annotations

import re

SECRET_KEY = re.compile(r"token|secret|passw(?:or)?d|credential|api_?key", re.IGNORECASE)
"""A config key whose name says it holds a secret."""

_SLACK_SHAPE = r"(?:xox[a-z]|xapp)-[A-Za-z0-9-]+"
_DISCORD_SHAPE = r"[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,40}"

TOKEN = re.compile(rf"(?<![A-Za-z0-9_-])(?:{_SLACK_SHAPE}|{_DISCORD_SHAPE})(?![A-Za-z0-9_-])")
"""Anything shaped like a Slack token (xoxb-, xoxp-, xapp-, ...) or a Discord bot token."""


def token_env_var(text: str) -> str | None:
    """Return the environment variable for the token `text` contains, if it contains one."""
    match = TOKEN.search(text)
    if match is None:
        return None
    if match.group().startswith("xapp-"):
        return "SLACK_APP_TOKEN"
    return "SLACK_BOT_TOKEN" if match.group().startswith("xox") else "DISCORD_TOKEN"
