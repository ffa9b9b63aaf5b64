"""`/terreau icebreaker hosts | offer <member> <ritual-or-group>` for moderators."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import Command, CommandContext, Option, OptionKind, Permission, guarded
from bot.config import CommunityConfig
from bot.features.icebreaker._hosting import Hosting, HostRefusal, hosts_enabled
from bot.features.icebreaker._hosts import Target

if TYPE_CHECKING:
    from bot.feature import FeatureContext


def declare_host_commands(app: FeatureContext, hosting: Hosting) -> None:
    """Register the moderators' host suggestions and offers."""

    def target_view(community: CommunityConfig, target: Target) -> dict[str, object]:
        return {
            "kind": target.kind,
            "id": target.id,
            "name": target.name,
            "due": target.due,
        }

    async def suggestions(ctx: CommandContext, community: CommunityConfig) -> None:
        found, targets = await hosting.suggestions(community)
        catalog = app.catalog(community.key)
        await ctx.reply(
            "icebreaker.hosts.suggestions",
            targets=targets,
            suggestions=[
                {
                    "name": s.candidate.display_name,
                    "member": s.candidate.member_id,
                    "level": catalog.text(f"icebreaker.levels.{s.candidate.level.value}"),
                    "topic": s.topic,
                    "target": target_view(community, s.target),
                }
                for s in found
            ],
            timezone=community.timezone,
        )

    async def offer(ctx: CommandContext, community: CommunityConfig) -> None:
        offered = await hosting.offer(
            community,
            ctx.event.member.id,
            str(ctx.options["member"]),
            str(ctx.options["target"]),
        )
        await ctx.reply(
            "icebreaker.hosts.offered",
            name=offered.name,
            topic=offered.offer.topic,
            target=target_view(community, offered.target),
            timezone=community.timezone,
        )

    for action, handler, options in (
        ("hosts", suggestions, ()),
        (
            "offer",
            offer,
            (Option(name="member", kind=OptionKind.MEMBER), Option(name="target")),
        ),
    ):
        app.commands.register(
            Command(
                group="icebreaker",
                action=action,
                handler=guarded(app.communities, hosts_enabled, HostRefusal, handler),
                options=options,
                permission=Permission.MODERATOR,
            )
        )
