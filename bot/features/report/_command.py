"""`/terreau report [period] [channel]` for moderators: the digest, privately, with its chart."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.analytics import PeriodError, parse_period
from bot.commands import Command, CommandContext, Option, Permission
from bot.features.report._service import Reports

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)


def channel_reference(word: str, purposes: dict[str, str]) -> str:
    """Return the channel id in `#name`, `<#C123>`, `<#C123|name>`, a purpose or a bare id."""
    word = word.strip()
    if word.startswith("<#") and word.endswith(">"):
        word = word[2:-1].split("|", 1)[0]
    word = word.removeprefix("#")
    return purposes.get(word, word)


def declare_command(app: FeatureContext, reports: Reports) -> None:
    """Register `/terreau report`."""

    async def report(ctx: CommandContext) -> None:
        community = app.communities[ctx.event.community]
        text = ctx.options.get("period")
        try:
            period = parse_period(text, app.clock.now().date())
        except PeriodError:
            await ctx.reply("report.digest.bad_period", period=text)
            return
        channel = ctx.options.get("channel")
        channel_id = channel_reference(str(channel), community.channels) if channel else None
        if channel_id is not None and not await reports.knows_channel(community, channel_id):
            known = [f"#{purpose}" for purpose in sorted(community.channels)]
            await ctx.reply("report.digest.unknown_channel", channel=str(channel), known=known)
            return
        result = await reports.build(community, period, channel_id)
        # Named after what it shows, so asking again replaces the file instead of adding one.
        name = f"{period.start}-{period.last_day}" + (f"-{channel_id}" if channel_id else "")
        # Private, and moderators only: the one digest that may name members.
        post = await reports.digest(community, result, name, names=True)
        await app.respond(ctx.event, post, private=True)

    app.commands.register(
        Command(
            group="report",
            action="",
            handler=report,
            options=(Option(name="period", required=False), Option(name="channel", required=False)),
            permission=Permission.MODERATOR,
        )
    )
