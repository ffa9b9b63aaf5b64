"""`/terreau cafe join | leave | snooze <duration> | avoid <member> | unavoid <member> | stats`."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.commands import Command, CommandContext, Option, OptionKind
from bot.features.cafe._rounds import ConfigOf
from bot.features.cafe._stats import cafe_stats, percent
from bot.storage.cafe import Cafes

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

_DURATION = re.compile(r"^\s*(\d{1,4})\s*([dwj]?)\s*$", re.IGNORECASE)
_UNIT_DAYS = {"": 1, "d": 1, "j": 1, "w": 7}


def parse_duration(text: str) -> timedelta | None:
    """Return the snooze a member typed (`10`, `10d`, `10j` days; `2w` weeks), else None."""
    match = _DURATION.match(text)
    if match is None:
        return None
    days = int(match.group(1)) * _UNIT_DAYS[match.group(2).lower()]
    return timedelta(days=days) if days > 0 else None


def declare_commands(app: FeatureContext, config_of: ConfigOf) -> None:
    """Register the cafe group on the app's command registry."""

    def ids(ctx: CommandContext) -> tuple[int, str]:
        return app.community_id(ctx.event.community), ctx.event.member.id

    def enabled(ctx: CommandContext) -> bool:
        return config_of(app.communities[ctx.event.community]).enabled

    async def join(ctx: CommandContext) -> None:
        if not enabled(ctx):
            await ctx.reply("cafe.disabled")
            return
        community_id, member = ids(ctx)
        async with app.store.transaction() as uow:
            joined = await uow.repository(Cafes).join(community_id, member)
        community = app.communities[ctx.event.community]
        await ctx.reply(
            "cafe.join.done" if joined else "cafe.join.already",
            channel=app.channel_mention(community.key, config_of(community).channel),
        )

    async def leave(ctx: CommandContext) -> None:
        community_id, member = ids(ctx)
        async with app.store.transaction() as uow:
            left = await uow.repository(Cafes).leave(community_id, member)
        await ctx.reply("cafe.leave.done" if left else "cafe.leave.not_in")

    async def snooze(ctx: CommandContext) -> None:
        community = app.communities[ctx.event.community]
        config = config_of(community)
        text = str(ctx.options["duration"])
        duration = parse_duration(text)
        if duration is None or duration > timedelta(days=config.max_snooze_days):
            await ctx.reply("cafe.snooze.invalid", duration=text, most=config.max_snooze_days)
            return
        community_id, member = ids(ctx)
        until = app.clock.now() + duration
        async with app.store.transaction() as uow:
            done = await uow.repository(Cafes).snooze(community_id, member, until)
        if not done:
            await ctx.reply("cafe.leave.not_in")
            return
        await ctx.reply("cafe.snooze.done", until=until, timezone=community.timezone)

    async def avoid(ctx: CommandContext) -> None:
        community_id, member = ids(ctx)
        other = str(ctx.options["member"])
        if other == member:
            await ctx.reply("cafe.avoid.self")
            return
        async with app.store.transaction() as uow:
            added = await uow.repository(Cafes).avoid(community_id, member, other)
        await ctx.reply("cafe.avoid.done" if added else "cafe.avoid.already")

    async def unavoid(ctx: CommandContext) -> None:
        community_id, member = ids(ctx)
        async with app.store.transaction() as uow:
            removed = await uow.repository(Cafes).unavoid(
                community_id, member, str(ctx.options["member"])
            )
        await ctx.reply("cafe.unavoid.done" if removed else "cafe.unavoid.not_avoided")

    async def stats(ctx: CommandContext) -> None:
        community_id = app.community_id(ctx.event.community)
        async with app.store.read(fresh=True) as uow:
            figures = await cafe_stats(uow, community_id)
        if figures.rounds == 0:
            await ctx.reply("cafe.stats.empty")
            return
        await ctx.reply(
            "cafe.stats.body",
            rounds=figures.rounds,
            groups=figures.groups,
            checked=figures.checked,
            met=figures.met,
            met_percent=percent(figures.met, figures.checked),
            repeats=figures.repeats,
            repeat_percent=percent(figures.repeats, figures.groups),
            strangers=figures.strangers,
            connected=figures.connected,
            connected_percent=percent(figures.connected, figures.strangers),
        )

    member_option = (Option(name="member", kind=OptionKind.MEMBER),)
    for action, handler, options in (
        ("join", join, ()),
        ("leave", leave, ()),
        ("snooze", snooze, (Option(name="duration"),)),
        ("avoid", avoid, member_option),
        ("unavoid", unavoid, member_option),
        ("stats", stats, ()),
    ):
        app.commands.register(
            Command(group="cafe", action=action, handler=handler, options=options)
        )
