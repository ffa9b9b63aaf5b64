"""`/terreau invite link | from <member>`: a personal link, or saying who brought you."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import Command, CommandContext, Option, OptionKind, Permission, guarded
from bot.config import CommunityConfig
from bot.domain import ChoiceMade, Link, Member
from bot.features.invites._config import InvitesConfig
from bot.features.invites._cooptation import PICKER, Cooptation, Refusal
from bot.ports import Forbidden, Unsupported

if TYPE_CHECKING:
    from bot.feature import FeatureContext


def _enabled(community: CommunityConfig) -> bool:
    return community.section(InvitesConfig).enabled


class InviteCommands:
    """The handlers of the invite command group."""

    def __init__(self, app: FeatureContext, cooptation: Cooptation) -> None:
        self._app = app
        self._cooptation = cooptation

    def declare(self) -> None:
        """Register `/terreau invite link`, `/terreau invite from <member>` and the picker."""
        self._app.on_choice("invites", self.picked)
        for action, handler, options in (
            ("link", self.link, ()),
            ("from", self.declare_from, (Option(name="member", kind=OptionKind.MEMBER),)),
        ):
            self._app.commands.register(
                Command(
                    group="invite",
                    action=action,
                    handler=guarded(self._app.communities, _enabled, Refusal, handler),
                    options=options,
                    permission=Permission.MEMBER,
                )
            )

    async def link(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Give the member their personal invitation link, where the platform makes them."""
        try:
            link = await self._cooptation.link(community, ctx.event.member)
        except Unsupported:
            raise Refusal("no_links") from None
        except Forbidden:
            raise Refusal("link_refused") from None
        try:
            shown: Link | str = Link(url=link)
        except ValueError:
            # Not a plain web address: shown as text to copy, never as a link.
            shown = link
        await ctx.reply("invites.link", link=shown)

    async def declare_from(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Record, on the newcomer's word, who brought them."""
        who = await self.record_from(community, ctx.event.member, str(ctx.options["member"]))
        await ctx.reply("invites.declared", who=who)

    async def record_from(
        self, community: CommunityConfig, newcomer: Member, member_id: str
    ) -> str:
        """Record that `member_id` brought `newcomer`; return their name (or raise `Refusal`)."""
        by = await self._app.platform(community.key).fetch_member(community.key, member_id)
        if by is None:
            raise Refusal("unknown", who=member_id)
        await self._cooptation.declare(community, newcomer, by)
        return by.display_name

    async def picked(self, event: ChoiceMade) -> None:
        """Record the member a newcomer picked in the question who brought them."""
        community = self._app.communities.get(event.community)
        parts = event.choice_id.split(":")
        if community is None or len(parts) != 3 or f"{parts[0]}:{parts[1]}" != PICKER:
            await self._app.reply(event, "messages.choices.expired")
            return
        if not _enabled(community):
            await self._app.reply(event, f"{Refusal.prefix}disabled")
            return
        try:
            who = await self.record_from(community, event.member, parts[2])
        except Refusal as refusal:
            await self._app.reply(event, refusal.key, private=True, **refusal.variables)
            return
        await self._app.reply(event, "invites.declared", who=who)
