"""`/terreau posts list | now | pause | resume` for moderators."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.commands import Command, CommandContext, Option, Permission
from bot.config import CommunityConfig
from bot.features.posts._config import PostsConfig, RitualConfig
from bot.features.posts._rituals import Rituals

if TYPE_CHECKING:
    from bot.feature import FeatureContext


def declare_commands(app: FeatureContext, rituals: Rituals) -> None:
    """Register the posts group on the app's command registry."""

    def ritual_named(ctx: CommandContext) -> tuple[CommunityConfig, RitualConfig | None]:
        community = app.communities[ctx.event.community]
        return community, rituals.find(community, str(ctx.options["ritual"]))

    async def unknown(ctx: CommandContext, community: CommunityConfig) -> None:
        known = ", ".join(r.name for r in community.section(PostsConfig).schedules)
        await ctx.reply("messages.posts.unknown_ritual", ritual=ctx.options["ritual"], known=known)

    async def list_rituals(ctx: CommandContext) -> None:
        community = app.communities[ctx.event.community]
        statuses = await rituals.statuses(community)
        if not statuses:
            await ctx.reply("messages.posts.list.empty")
            return
        zone = ZoneInfo(community.timezone)
        lines = [
            {
                "name": status.ritual.name,
                "channel": app.channel_mention(community.key, status.ritual.channel),
                "cron": status.ritual.cron,
                "next": status.next_run.astimezone(zone) if status.next_run else None,
                "paused": status.paused,
                "reason": status.reason,
            }
            for status in statuses
        ]
        await ctx.reply("messages.posts.list.body", rituals=lines, timezone=community.timezone)

    async def post_now(ctx: CommandContext) -> None:
        community, ritual = ritual_named(ctx)
        if ritual is None:
            await unknown(ctx, community)
            return
        nonce = f"posts:{community.key}:{ritual.name}:now:{ctx.event.event_id}"
        if await rituals.post_now(community, ritual, nonce):
            await ctx.reply(
                "messages.posts.posted",
                ritual=ritual.name,
                channel=app.channel_mention(community.key, ritual.channel),
            )
        else:
            await ctx.reply("messages.posts.post_failed", ritual=ritual.name)

    async def pause(ctx: CommandContext) -> None:
        await toggle(ctx, paused=True)

    async def resume(ctx: CommandContext) -> None:
        await toggle(ctx, paused=False)

    async def toggle(ctx: CommandContext, *, paused: bool) -> None:
        community, ritual = ritual_named(ctx)
        if ritual is None:
            await unknown(ctx, community)
            return
        changed = await rituals.set_paused(community, ritual, paused, by=ctx.event.member.id)
        state = "paused" if paused else "resumed"
        key = f"messages.posts.{state}" if changed else f"messages.posts.already_{state}"
        await ctx.reply(key, ritual=ritual.name)

    ritual_option = (Option(name="ritual"),)
    for action, handler, options in (
        ("list", list_rituals, ()),
        ("now", post_now, ritual_option),
        ("pause", pause, ritual_option),
        ("resume", resume, ritual_option),
    ):
        app.commands.register(
            Command(
                group="posts",
                action=action,
                handler=handler,
                options=options,
                permission=Permission.MODERATOR,
            )
        )
