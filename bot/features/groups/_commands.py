"""`/terreau group ...`: propose, list, join, leave, and the moderators' close."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.commands import Command, CommandContext, Option, OptionKind, Permission, guarded
from bot.config import CommunityConfig
from bot.domain import ChoiceMade, strip_markers
from bot.features.groups._config import GroupsConfig
from bot.features.groups._life import GroupLife, Refusal
from bot.storage.hosts import HostOffers

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

MAX_TOPIC = 80
MAX_WHY = 500
"""Longest topic and reason kept (longer ones are cut)."""


def _enabled(community: CommunityConfig) -> bool:
    return community.section(GroupsConfig).enabled


class GroupCommands:
    """The handlers of the group command group, and of the Join button."""

    def __init__(self, app: FeatureContext, life: GroupLife) -> None:
        self._app = app
        self._life = life

    def declare(self) -> None:
        """Register every `/terreau group` action."""
        group = Option(name="group", kind=OptionKind.INTEGER, minimum=1)
        for action, handler, options, permission in (
            (
                "propose",
                self.propose,
                (Option(name="topic", phrase=True), Option(name="why", rest=True)),
                Permission.MEMBER,
            ),
            ("list", self.list, (), Permission.MEMBER),
            ("join", self.join, (group,), Permission.MEMBER),
            ("leave", self.leave, (group,), Permission.MEMBER),
            ("close", self.close, (group,), Permission.MODERATOR),
        ):
            self._app.commands.register(
                Command(
                    group="group",
                    action=action,
                    handler=guarded(
                        self._app.communities, _enabled, Refusal, handler, before=self._life.advance
                    ),
                    options=options,
                    permission=permission,
                )
            )

    async def propose(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Propose a group on a topic, saying why."""
        topic = " ".join(strip_markers(str(ctx.options["topic"])).split())[:MAX_TOPIC]
        why = strip_markers(str(ctx.options["why"])).strip()[:MAX_WHY]
        if not topic or not why:
            raise Refusal("empty")
        group = await self._life.propose(community, ctx.event.member, topic, why)
        await ctx.reply("groups.proposed", topic=topic, group=group.id, needed=group.needed)

    async def list(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """List the groups gathering members and the open ones."""
        groups = await self._life.list(community)
        community_id = self._app.community_id(community.key)
        async with self._app.store.read() as uow:
            hosts = await uow.repository(HostOffers).hosts(community_id, "group")
            names = {}
            for member_id in set(hosts.values()):
                record = await uow.members.get(community_id, member_id)
                names[member_id] = record.display_name if record is not None else member_id
        await ctx.reply(
            "groups.list",
            groups=[
                {
                    "id": g.id,
                    "topic": g.topic,
                    "status": g.status,
                    "count": n,
                    "needed": g.needed,
                    "host": names.get(hosts.get(str(g.id), "")),
                }
                for g, n in groups
            ],
        )

    async def join(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Join a proposed or open group."""
        group = await self._life.join(community, int(ctx.options["group"]), ctx.event.member.id)
        await ctx.reply("groups.joined", topic=group.topic, open=group.status == "open")

    async def leave(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Leave a group."""
        group = await self._life.leave(community, int(ctx.options["group"]), ctx.event.member.id)
        await ctx.reply("groups.left", topic=group.topic)

    async def close(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Close a group (moderators): its space is archived, never deleted."""
        group = await self._life.close(community, int(ctx.options["group"]), ctx.event.member.id)
        await ctx.reply("groups.closed", topic=group.topic)

    async def on_choice(self, event: ChoiceMade) -> None:
        """Handle a click on a proposal's Join button."""
        community = self._app.communities.get(event.community)
        if community is None:
            return
        _, raw_id, action = [*event.choice_id.split(":"), "", ""][:3]
        if action != "join" or not raw_id.isdecimal():
            return
        try:
            if not community.section(GroupsConfig).enabled:
                raise Refusal("disabled")
            await self._life.advance(community.key)
            group = await self._life.join(community, int(raw_id), event.member.id)
        except Refusal as refusal:
            await self._app.reply(event, refusal.key, private=True, **refusal.variables)
            return
        await self._app.reply(
            event, "groups.joined", private=True, topic=group.topic, open=group.status == "open"
        )
