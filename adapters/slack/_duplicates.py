"""No duplicate post after an uncertain send: each post carries its nonce in message metadata.

Slack has no idempotency key. When the outbox cannot tell whether a post reached
Slack (its process was killed before recording the answer, or `chat.postMessage`
failed with a timeout, a reset connection or a 5xx), it asks before posting again:
the channel's (or thread's) history from the first attempt to the end of the earlier
sender's lease is searched for a message of Terreau's carrying that nonce in its
metadata. Slack keeps message
metadata with the message, so the answer survives any restart.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack._web import call
from bot.domain import ChannelRef

log = logging.getLogger(__name__)

EVENT_TYPE = "terreau_post"
"""The metadata event type Terreau's posts carry (with `{"nonce": ...}`)."""

PAGE = 200
MAX_PAGES = 10
"""At most this many pages of the window's history are searched (2,000 messages)."""


def metadata(nonce: str) -> dict[str, Any]:
    """Return the message metadata that marks a post with its nonce."""
    return {"event_type": EVENT_TYPE, "event_payload": {"nonce": nonce}}


def slack_ts(moment: datetime) -> str:
    """Return a Slack timestamp (`seconds.micros`) for an aware datetime."""
    return f"{moment.timestamp():.6f}"


async def find_posted(
    client: AsyncWebClient,
    where: ChannelRef,
    nonce: str,
    since: datetime,
    until: datetime | None = None,
) -> str | None:
    """Return the ts of a message posted from `since` to `until` carrying `nonce`, or None."""
    cursor: str | None = None
    window = {"oldest": slack_ts(since), "inclusive": True}
    if until is not None:
        window["latest"] = slack_ts(until)
    for _ in range(MAX_PAGES):
        response = await _history(client, where, window, cursor)
        for message in response.get("messages") or ():
            found = message.get("metadata") or {}
            payload = found.get("event_payload") or {}
            if found.get("event_type") == EVENT_TYPE and payload.get("nonce") == nonce:
                log.info("post %s is on Slack already (ts %s)", nonce, message["ts"])
                return str(message["ts"])
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not response.get("has_more") or cursor is None:
            return None
    log.warning(
        "post %s: more than %d messages in %s since %s; the earliest were not searched",
        nonce,
        PAGE * MAX_PAGES,
        where.channel_id,
        since.isoformat(),
    )
    return None


async def _history(
    client: AsyncWebClient, where: ChannelRef, window: dict[str, Any], cursor: str | None
) -> Any:
    thread = where.thread_id
    if thread is None:
        return await call(
            "conversations.history",
            lambda: client.conversations_history(
                channel=where.channel_id,
                limit=PAGE,
                cursor=cursor,
                include_all_metadata=True,
                **window,
            ),
        )
    return await call(
        "conversations.replies",
        lambda: client.conversations_replies(
            channel=where.channel_id,
            ts=thread,
            limit=PAGE,
            cursor=cursor,
            include_all_metadata=True,
            **window,
        ),
    )
