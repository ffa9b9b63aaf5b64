"""Spaces on Slack: a channel of its own for a few members, when the app may open one.

Opening, inviting to and archiving channels need `groups:write` (private) or
`channels:manage` (public), which the default manifest does not ask for: without
them `open_space` raises `Unsupported` and the core keeps the talk in a thread.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack._web import call
from bot.domain import ChannelRef
from bot.ports import Forbidden, PlatformError, Unsupported

NAME_ATTEMPTS = 5
MAX_NAME = 80


def channel_name(title: str) -> str:
    """Return a Slack channel name for `title`: lower case, dashes, at most 80 characters."""
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    return "-".join(words)[:MAX_NAME].strip("-") or "group"


async def open_channel(
    client: AsyncWebClient,
    parent: ChannelRef,
    title: str,
    member_ids: Sequence[str],
    *,
    private: bool,
) -> ChannelRef:
    """Create a channel named after `title` (`-2`, `-3`... when taken) and invite the members."""
    base = channel_name(title)
    for attempt in range(1, NAME_ATTEMPTS + 1):
        name = base if attempt == 1 else f"{base[: MAX_NAME - 3]}-{attempt}"
        try:
            response = await call(
                "conversations.create",
                lambda name=name: client.conversations_create(  # type: ignore[misc]
                    name=name, is_private=private
                ),
            )
        except Forbidden as error:
            if "missing_scope" in str(error):
                scope = "groups:write" if private else "channels:manage"
                raise Unsupported(f"opening Slack channels needs the {scope} scope") from error
            raise
        except PlatformError as error:
            if "name_taken" in str(error):
                continue
            raise
        space = ChannelRef(community=parent.community, channel_id=str(response["channel"]["id"]))
        await invite(client, space, member_ids)
        return space
    raise PlatformError(f"conversations.create: every name from #{base} on is taken")


async def invite(client: AsyncWebClient, space: ChannelRef, member_ids: Sequence[str]) -> None:
    """Invite members one by one (one already in the channel is no error)."""
    _channel_only(space)
    for member_id in dict.fromkeys(member_ids):
        try:
            await call(
                "conversations.invite",
                lambda member_id=member_id: client.conversations_invite(  # type: ignore[misc]
                    channel=space.channel_id, users=member_id
                ),
            )
        except PlatformError as error:
            if "already_in_channel" not in str(error):
                raise


async def archive(client: AsyncWebClient, space: ChannelRef) -> None:
    """Archive a channel (one already archived is no error)."""
    _channel_only(space)
    try:
        await call(
            "conversations.archive",
            lambda: client.conversations_archive(channel=space.channel_id),
        )
    except PlatformError as error:
        if "already_archived" not in str(error):
            raise


def _channel_only(space: ChannelRef) -> None:
    if space.thread_id is not None:
        raise Unsupported("a Slack thread has no members of its own and cannot be archived")
