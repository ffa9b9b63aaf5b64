"""The one Slack slash command, `/terreau <group> <action> [args]`, as a `CommandInvoked`.

Only Slack's escaping is undone here; the words are read with the core's
command-line grammar (`bot.command_line`), and which command they name, its
options and who may run it are the core's `CommandRegistry` business, exactly
as for the console and Discord.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.command_line import CommandLine, read_command_line
from bot.domain import CommandInvoked, Member, community_key

log = logging.getLogger(__name__)

COMMAND = "/terreau"
"""The slash command declared in the app manifest."""


def read_text(text: str) -> CommandLine:
    """Read the text after `/terreau`, once Slack's escaping (`&amp;`, `&lt;`) is undone."""
    return read_command_line(html.unescape(text.replace("\xa0", " ")))


def parse_command(body: Mapping[str, Any], *, now: datetime) -> CommandInvoked | None:
    """Translate a slash-command payload into `CommandInvoked`, or None if it is not ours.

    The member carries only what the payload says (id and name); the adapter
    adds the admin flag and user groups before the core checks permission.
    """
    if body.get("command") != COMMAND:
        return None
    team_id = str(body.get("team_id") or "")
    user_id = str(body.get("user_id") or "")
    channel_id = str(body.get("channel_id") or "")
    trigger_id = str(body.get("trigger_id") or "")
    if not (team_id and user_id and channel_id and trigger_id):
        log.warning("slash command payload without team, user, channel or trigger id; ignored")
        return None
    line = read_text(str(body.get("text") or ""))
    return CommandInvoked(
        event_id=f"cmd-{trigger_id}",
        community=community_key("slack", team_id),
        occurred_at=now,
        member=Member(id=user_id, display_name=str(body.get("user_name") or user_id)),
        channel_id=channel_id,
        group=line.group,
        action=line.action,
        text=line.text,
        interaction_id=trigger_id,
    )
