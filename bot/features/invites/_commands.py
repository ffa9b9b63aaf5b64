"""`/terreau invite link | from <member>`: a personal link, or saying who brought you."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import Command, CommandContext, Option, OptionKind, Permission, guarded
from bot.config import CommunityConfig
from bot.domain import Link
from bot.features.invites._config import InvitesConfig
from bot.features.invites._cooptation import Cooptation, Refusal
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
        """Register `/terreau invite link` and `/terreau invite from <member>`."""
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
        member_id = str(ctx.options["member"])
        by = await self._app.platform(community.key).fetch_member(community.key, member_id)
        if by is None:
            raise Refusal("unknown", who=member_id)
        await self._cooptation.declare(community, ctx.event.member, by)
        await ctx.reply("invites.declared", who=by.display_name)
