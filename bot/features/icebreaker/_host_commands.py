"""`/terreau icebreaker hosts | offer <member> <ritual-or-group>`, and the offers as members' data.

Erasure deletes the offers made to the member, and forgets them as the moderator who
sent others' offers (those stay, for their members).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.commands import Command, CommandContext, Option, OptionKind, Permission, guarded
from bot.config import CommunityConfig
from bot.features.icebreaker._hosting import Hosting, HostRefusal, hosts_enabled
from bot.features.icebreaker._hosts import Target
from bot.personal_data import PersonalData
from bot.storage import UnitOfWork
from bot.storage.hosts import HostOffers

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


@dataclass(frozen=True, kw_only=True, slots=True)
class _Offers:
    """The offers to host made to a member."""

    async def count(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Return how many offers the member was made."""
        return len(await self.rows(uow, community_id, member_id))

    async def rows(
        self, uow: UnitOfWork, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return those offers, JSON-ready."""
        return await uow.repository(HostOffers).of_member(community_id, member_id)

    async def erase(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Delete the member's offers and forget them as the sender of others'."""
        return await uow.repository(HostOffers).erase_member(community_id, member_id)


HOST_OFFERS = PersonalData(name="host_offers", table=_Offers())
"""The offers to host a member was made (`/terreau me data | export | forget`)."""
