"""`/terreau holdup ...`: submit, idea, dot, followup, list, and the moderators' decision."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import (
    Command,
    CommandContext,
    Option,
    OptionKind,
    Permission,
    guarded,
    is_moderator,
)
from bot.config import CommunityConfig
from bot.domain import strip_markers
from bot.features.holdup._config import HoldupConfig
from bot.features.holdup._ideas import Contributions, cleaned
from bot.features.holdup._life import HoldupLife
from bot.features.holdup._rules import MAX_PROBLEM, Refusal
from bot.storage.holdups import Holdups

if TYPE_CHECKING:
    from bot.feature import FeatureContext


def _enabled(community: CommunityConfig) -> bool:
    return community.section(HoldupConfig).enabled


class HoldupCommands:
    """The handlers of the holdup command group."""

    def __init__(self, app: FeatureContext, life: HoldupLife, ideas: Contributions) -> None:
        self._app = app
        self._life = life
        self._ideas = ideas

    def declare(self) -> None:
        """Register every `/terreau holdup` action."""
        holdup = Option(name="holdup", kind=OptionKind.INTEGER, minimum=1)
        for action, handler, options, permission in (
            (
                "submit",
                self.submit,
                (
                    Option(name="problem", phrase=True),
                    Option(name="wanted", phrase=True),
                    Option(name="context", rest=True),
                ),
                Permission.MEMBER,
            ),
            ("idea", self.idea, (Option(name="text", rest=True),), Permission.MEMBER),
            (
                "dot",
                self.dot,
                (
                    Option(name="idea", kind=OptionKind.INTEGER, minimum=1),
                    Option(
                        name="points",
                        kind=OptionKind.INTEGER,
                        minimum=0,
                        maximum=20,
                        required=False,
                    ),
                ),
                Permission.MEMBER,
            ),
            ("followup", self.followup, (Option(name="text", rest=True),), Permission.MEMBER),
            ("list", self.list, (), Permission.MEMBER),
            ("approve", self.approve, (holdup,), Permission.MODERATOR),
            ("reject", self.reject, (holdup,), Permission.MODERATOR),
        ):
            self._app.commands.register(
                Command(
                    group="holdup",
                    action=action,
                    handler=guarded(
                        self._app.communities, _enabled, Refusal, handler, before=self._life.advance
                    ),
                    options=options,
                    permission=permission,
                )
            )

    async def submit(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Bring a problem to the community, with the answers wanted and some context."""
        rules = community.section(HoldupConfig)
        member = ctx.event.member
        if not rules.members_submit and not is_moderator(member, community.moderator_roles):
            raise Refusal("moderators_only")
        problem = " ".join(strip_markers(str(ctx.options["problem"])).split())[:MAX_PROBLEM]
        wanted = cleaned(str(ctx.options["wanted"]))
        context = cleaned(str(ctx.options["context"]))
        if not problem or not wanted or not context:
            raise Refusal("empty")
        holdup = await self._life.submit(community, member, problem, context, wanted)
        await ctx.reply(
            "holdup.submitted",
            problem=problem,
            holdup=holdup.id,
            started=holdup.status != "pending",
        )

    async def approve(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Start a waiting hold-up (moderators)."""
        holdup = await self._life.approve(
            community, int(ctx.options["holdup"]), by=ctx.event.member.id
        )
        await ctx.reply("holdup.approved", holdup=holdup.id, problem=holdup.problem)

    async def reject(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Decline a waiting hold-up (moderators)."""
        holdup = await self._life.reject(
            community, int(ctx.options["holdup"]), by=ctx.event.member.id
        )
        await ctx.reply("holdup.rejected", holdup=holdup.id, problem=holdup.problem)

    async def idea(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Add an idea to the hold-up gathering them."""
        text = cleaned(str(ctx.options["text"]))
        if not text:
            raise Refusal("empty_idea")
        holdup, number = await self._ideas.idea(
            community, ctx.event.member, ctx.event.channel_id, text
        )
        await ctx.reply(
            "holdup.idea_added", number=number, problem=holdup.problem, hidden=holdup.hide_authors
        )

    async def dot(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Put some of one's dots on an idea (0 takes them back)."""
        number = int(ctx.options["idea"])
        wanted = ctx.options["points"]
        points, left = await self._ideas.dot(
            community,
            ctx.event.member,
            ctx.event.channel_id,
            number,
            1 if wanted is None else int(wanted),
        )
        await ctx.reply("holdup.dotted", points=points, number=number, left=left)

    async def followup(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Tell the contributors, in the thread, what became of their ideas (the requester)."""
        text = cleaned(str(ctx.options["text"]))
        if not text:
            raise Refusal("empty_followup")
        community_id = self._app.community_id(community.key)
        member = ctx.event.member
        async with self._app.store.read() as uow:
            repo = uow.repository(Holdups)
            here = await repo.in_space(community_id, ctx.event.channel_id, None)
            if here is None or here.requester_id != member.id or here.status != "done":
                here = await repo.latest_of(community_id, member.id, "done")
        if here is None or here.space_channel_id is None:
            raise Refusal("nothing_to_follow")
        await self._life.followup(community, here, text, ctx.event.event_id)
        await ctx.reply("holdup.followed_up", problem=here.problem)

    async def list(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """List the running hold-ups (and the waiting ones the member may see)."""
        member = ctx.event.member
        found = await self._life.listed(
            community, member, is_moderator(member, community.moderator_roles)
        )
        await ctx.reply(
            "holdup.list",
            holdups=[
                {
                    "id": h.id,
                    "problem": h.problem,
                    "status": h.status,
                    "until": h.voting_opens_at if h.status == "ideas" else h.closes_at,
                }
                for h in found
            ],
            timezone=community.timezone,
        )
