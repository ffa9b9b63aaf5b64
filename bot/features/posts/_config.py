"""`[communities.posts]`: the community's rituals, and when one stops talking to an empty room."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import Field, StrictBool, StrictInt, StrictStr

from bot.config import ConfigModel, Cron, Finding, KeyPath, Slug, format_path, suggestion


class RitualConfig(ConfigModel):
    """A scheduled post: when (cron in the community's timezone), where, and from which pool."""

    name: Slug
    channel: StrictStr
    cron: Cron
    pool: Slug
    thread: StrictBool = False
    grace_minutes: StrictInt = Field(default=120, ge=0)


class PostsConfig(ConfigModel):
    """The community's rituals, when one stops talking to an empty room, what rotations rest."""

    dead_channel_after: StrictInt = Field(default=3, ge=0)
    rest_silent_prompts: StrictBool = False
    """Leave out of the rotation the prompts the report flags as never answered."""
    schedules: tuple[RitualConfig, ...] = ()


def ritual_findings(community: Mapping[str, object]) -> list[Finding]:
    """Find rituals of one community with a duplicate name or an unknown channel purpose."""
    findings: list[Finding] = []
    channels = community.get("channels", {})
    purposes = sorted(str(p) for p in channels) if isinstance(channels, Mapping) else None
    posts = community.get("posts", {})
    schedules = posts.get("schedules", ()) if isinstance(posts, Mapping) else ()
    names: dict[str, int] = {}
    for index, ritual in enumerate(_items(schedules)):
        if not isinstance(ritual, Mapping):
            continue
        path: KeyPath = ("posts", "schedules", index)
        name = ritual.get("name")
        if isinstance(name, str):
            if name in names:
                already = format_path(("schedules", names[name]))
                findings.append(
                    ((*path, "name"), f'duplicate ritual name "{name}" (already posts.{already})')
                )
            else:
                names[name] = index
        channel = ritual.get("channel")
        if isinstance(channel, str) and purposes is not None and channel not in purposes:
            findings.append(((*path, "channel"), _unknown_purpose(channel, purposes)))
    return findings


def _unknown_purpose(channel: str, purposes: list[str]) -> str:
    if not purposes:
        return (
            f'channel "{channel}" is not a configured purpose: the community has no channels '
            f'(add channels = {{ {channel} = "<channel id>" }})'
        )
    return (
        f'channel "{channel}" is not a configured purpose (configured: {", ".join(purposes)})'
        + suggestion(channel, purposes, quote='"')
    )


def _items(value: object) -> Sequence[object]:
    return value if isinstance(value, list | tuple) else ()
