"""Rules that span several keys: unique communities, no secrets in the file.

They read plain TOML data (dicts and lists), so the loader can report them with exact
key paths even when other keys of the same table fail validation; the models run the
same rules on their own dumps when they are built in code. Each feature's own rules
(a channel purpose its table names, say) come with its `ConfigSection`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from bot._secret_patterns import SECRET_KEY, token_env_var
from bot._toml_lines import KeyPath
from bot.domain import community_key

Finding = tuple[KeyPath, str]

SECRET_ENV_VARS = (
    "DISCORD_TOKEN",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "MATRIX_ACCESS_TOKEN",
    "TERREAU_DATABASE_PASSWORD",
)


def suggestion(word: str, known: Sequence[str], *, quote: str = "'") -> str:
    """Return ` (did you mean 'x'?)` for the known word closest to `word`, or ""."""
    close = difflib.get_close_matches(word, known, n=1)
    return f" (did you mean {quote}{close[0]}{quote}?)" if close else ""


def community_key_findings(communities: object) -> list[Finding]:
    """Find communities that share a `platform:id` key."""
    findings: list[Finding] = []
    seen: dict[str, int] = {}
    for index, community in enumerate(_items(communities)):
        if not isinstance(community, Mapping):
            continue
        platform, ident = community.get("platform"), community.get("id")
        if not isinstance(platform, str) or not isinstance(ident, str):
            continue
        key = community_key(platform, ident)
        if key in seen:
            findings.append(
                (
                    ("communities", index, "id"),
                    f'duplicate community "{key}" (already communities[{seen[key]}])',
                )
            )
        else:
            seen[key] = index
    return findings


def secret_findings(data: object, path: KeyPath = ()) -> list[Finding]:
    """Find keys named like secrets and values shaped like tokens anywhere in the file."""
    findings: list[Finding] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            if SECRET_KEY.search(key):
                findings.append(
                    ((*path, key), f"remove '{key}': {_never_in_file(env_var_for((*path, key)))}")
                )
            else:
                findings.extend(secret_findings(value, (*path, key)))
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            findings.extend(secret_findings(value, (*path, index)))
    elif isinstance(data, str):
        env_var = token_env_var(data)
        if env_var is not None:
            findings.append((path, f"this looks like a token: {_never_in_file(env_var)}"))
    return findings


def env_var_for(path: KeyPath) -> str | None:
    """Return the environment variable that holds the secret an operator put at `path`."""
    name = str(path[-1]).lower()
    section = str(path[0]).lower()
    if "passw" in name:
        return "TERREAU_DATABASE_PASSWORD"
    if section == "discord" or "discord" in name:
        return "DISCORD_TOKEN"
    if section == "slack" or "slack" in name:
        if "signing" in name or "secret" in name:
            return "SLACK_SIGNING_SECRET"
        return "SLACK_APP_TOKEN" if "app" in name else "SLACK_BOT_TOKEN"
    if section == "matrix" or "matrix" in name:
        return "MATRIX_ACCESS_TOKEN"
    return None


def _never_in_file(env_var: str | None) -> str:
    if env_var is not None:
        return (
            f"secrets are never read from the config file; set the {env_var} environment variable"
        )
    return (
        "secrets are never read from the config file; set them in the environment "
        f"({', '.join(SECRET_ENV_VARS[:-1])} or {SECRET_ENV_VARS[-1]})"
    )


def _items(value: object) -> Sequence[object]:
    return value if isinstance(value, list | tuple) else ()
