"""No duplicate post after an uncertain send: each post carries its nonce in message metadata.

Slack has no idempotency key. When `chat.postMessage` fails in a way that leaves
it unknown whether the message was posted (a timeout, a reset connection, a 5xx),
the outbox retries with the same nonce; before posting again, the adapter looks
for a recent message of its own carrying that nonce and returns it instead. A
429 needs no such check: a rate-limited request was not carried out.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack._web import call
from bot.domain import ChannelRef

log = logging.getLogger(__name__)

EVENT_TYPE = "terreau_post"
"""The metadata event type Terreau's posts carry (with `{"nonce": ...}`)."""

LOOK_BACK = 50
"""How many recent messages of the channel (or thread) are searched for the nonce."""


def metadata(nonce: str) -> dict[str, Any]:
    """Return the message metadata that marks a post with its nonce."""
    return {"event_type": EVENT_TYPE, "event_payload": {"nonce": nonce}}


async def find_posted(client: AsyncWebClient, where: ChannelRef, nonce: str) -> str | None:
    """Return the ts of a recent message carrying `nonce`, or None if it was not posted."""
    thread = where.thread_id
    if thread is None:
        response = await call(
            "conversations.history",
            lambda: client.conversations_history(
                channel=where.channel_id, limit=LOOK_BACK, include_all_metadata=True
            ),
        )
    else:
        response = await call(
            "conversations.replies",
            lambda: client.conversations_replies(
                channel=where.channel_id,
                ts=thread,
                limit=LOOK_BACK,
                include_all_metadata=True,
            ),
        )
    for message in response.get("messages") or ():
        found = message.get("metadata") or {}
        payload = found.get("event_payload") or {}
        if found.get("event_type") == EVENT_TYPE and payload.get("nonce") == nonce:
            log.info("post %s was already sent (ts %s); not posting it again", nonce, message["ts"])
            return str(message["ts"])
    return None
