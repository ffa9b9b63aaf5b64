"""Where to answer an interaction privately: its `response_url`, while Slack honours it.

A slash command or a click comes with a `response_url` that can post ephemeral
answers anywhere the member is, even in channels the bot has not joined. It is
kept (bounded, in memory) for a little less than Slack's 30 minutes; without it
(after a restart, say) the adapter falls back to `chat.postEphemeral`.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import datetime, timedelta

from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.blocks import SlackMessage
from bot.ports import Clock

log = logging.getLogger(__name__)

LIFETIME = timedelta(minutes=25)
REMEMBERED = 10_000


class ResponseUrls:
    """The recent interactions' response URLs, by interaction (trigger) id."""

    def __init__(self, clock: Clock, *, remembered: int = REMEMBERED) -> None:
        self._clock = clock
        self._remembered = remembered
        self._urls: OrderedDict[str, tuple[str, datetime]] = OrderedDict()

    def remember(self, interaction_id: str | None, url: object) -> None:
        """Keep the response URL of an interaction, if the payload had one."""
        if not interaction_id or not isinstance(url, str) or not url.startswith("http"):
            return
        self._urls[interaction_id] = (url, self._clock.now() + LIFETIME)
        while len(self._urls) > self._remembered:
            self._urls.popitem(last=False)

    def get(self, interaction_id: str | None) -> str | None:
        """Return the URL to answer an interaction with, or None if unknown or too old."""
        found = self._urls.get(interaction_id or "")
        if found is None or found[1] <= self._clock.now():
            return None
        return found[0]

    async def answer(self, url: str, message: SlackMessage) -> bool:
        """Post an ephemeral answer to `url`; return False if Slack did not take it."""
        try:
            response = await AsyncWebhookClient(url, timeout=30).send(
                response_type="ephemeral",
                replace_original=False,
                text=message.text,
                blocks=message.blocks,
            )
        except Exception as error:
            log.info("response_url failed (%s); answering with chat.postEphemeral", error)
            return False
        if response.status_code != 200:
            log.info("response_url answered %d; using chat.postEphemeral", response.status_code)
            return False
        return True
