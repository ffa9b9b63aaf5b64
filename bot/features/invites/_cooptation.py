"""Who brought whom: personal links, joins counted against them, newcomers' own word.

On Discord, each member's link is an invite of its own; when someone joins, the
links whose use counts went up since last seen name the co-opter (exactly one must
have, or the join stays unattributed: two joins at once cannot be told apart). The
counts are kept in the database and taken by compare-and-set, so a restart or a
second process attributes each rise once. Where bots cannot make links (Slack, the
console), the newcomer says who brought them with `/terreau invite from @member`,
or by picking the member in the question Terreau sends them when they join (a
member picker on Slack; the command alone where the platform has no picker).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot import commands
from bot.config import CommunityConfig
from bot.domain import ChannelMention, Choice, Member, MemberJoined, Mention
from bot.features.invites._config import InvitesConfig
from bot.ports import Forbidden, PlatformError, Unsupported
from bot.storage.invites import Invites

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

PICKER = "invites:from"
"""The member picker of the question to newcomers: a pick comes back as `invites:from:<id>`."""


class Refusal(commands.Refusal):
    """A request refused, with the prompt key (under `invites.refuse.`) saying why."""

    prefix = "invites.refuse."


class Cooptation:
    """Hands out links, attributes joins, and offers co-opters to welcome newcomers."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app

    async def link(self, community: CommunityConfig, member: Member) -> str:
        """Return the member's personal link, creating it the first time."""
        community_id = self._app.community_id(community.key)
        async with self._app.store.read() as uow:
            known = await uow.repository(Invites).link_of(community_id, member.id)
        if known is not None:
            return known
        where = self._app.channel(community.key, community.section(InvitesConfig).channel)
        link = await self._app.platform(community.key).create_invite(where)
        async with self._app.store.transaction() as uow:
            await uow.repository(Invites).add_link(community_id, member.id, link, 0)
            known = await uow.repository(Invites).link_of(community_id, member.id)
        log.info("%s: invitation link made for %s", community.key, member.id)
        return known or link

    async def joined(self, community: CommunityConfig, event: MemberJoined) -> None:
        """Attribute a join to the one link whose use count went up, if exactly one did."""
        if event.member.is_bot:
            return
        try:
            uses = await self._app.platform(community.key).invite_uses(community.key)
        except Unsupported:
            await self._ask_who_brought(community, event.member)
            return
        except Forbidden as error:
            log.warning(
                "%s: cannot read invitation counts (%s): joins through members' links are "
                "not attributed; Discord needs Manage Server for this",
                community.key,
                error,
            )
            return
        except PlatformError as error:
            log.warning("%s: invitation counts unavailable: %s", community.key, error)
            return
        community_id = self._app.community_id(community.key)
        async with self._app.store.transaction() as uow:
            risen = await uow.repository(Invites).take_uses(community_id, uses)
            owners = set(risen.values())
            if len(owners) != 1:
                if owners:
                    log.info(
                        "%s: %s joined while several links were used",
                        community.key,
                        event.member.id,
                    )
                return
            [by] = owners
            if by == event.member.id or not await uow.repository(Invites).coopt(
                community_id, event.member.id, by, "link"
            ):
                return
        await self._offer_welcome(community, by, event.member)

    async def _ask_who_brought(self, community: CommunityConfig, newcomer: Member) -> None:
        """Ask a newcomer who brought them, in a message only they see, with a member picker.

        Shown in the `channel` purpose's channel (Slack: an ephemeral message), never
        as a direct message, which goes only to members who opted in; platforms that
        show a member nothing unasked get no question (the README names the command).
        """
        rules = community.section(InvitesConfig)
        if not rules.ask_newcomers:
            return
        community_id = self._app.community_id(community.key)
        async with self._app.store.read() as uow:
            if await uow.repository(Invites).cooptation(community_id, newcomer.id) is not None:
                return
        catalog = self._app.catalog(community.key)
        post = dataclasses.replace(
            catalog.post("invites.who_brought_you", days=rules.claim_days),
            member_picker=Choice(id=PICKER, label=catalog.text("invites.pick_member")),
        )
        where = self._app.channel(community.key, rules.channel)
        try:
            await self._app.platform(community.key).whisper(where, newcomer.id, post)
        except Unsupported:
            return
        except PlatformError as error:
            log.info("%s: could not ask %s who brought them: %s", community.key, newcomer.id, error)

    async def declare(self, community: CommunityConfig, newcomer: Member, by: Member) -> None:
        """Record who brought a newcomer, on the newcomer's word."""
        if by.id == newcomer.id:
            raise Refusal("self")
        if by.is_bot:
            raise Refusal("bot", who=by.display_name)
        community_id = self._app.community_id(community.key)
        days = community.section(InvitesConfig).claim_days
        async with self._app.store.transaction() as uow:
            record = await uow.members.get(community_id, newcomer.id)
            joined = newcomer.joined_at or (record.joined_at if record else None)
            if joined is None or self._app.clock.now() - joined > timedelta(days=days):
                raise Refusal("too_late", days=days)
            known = await uow.repository(Invites).cooptation(community_id, newcomer.id)
            if known is not None:
                raise Refusal("already")
            await uow.repository(Invites).coopt(community_id, newcomer.id, by.id, "declared")
        await self._offer_welcome(community, by.id, newcomer, asked=False)

    async def _offer_welcome(
        self, community: CommunityConfig, by: str, newcomer: Member, *, asked: bool = True
    ) -> None:
        """Tell the co-opter their newcomer arrived, and where to greet them (never required).

        A member who `asked` for an invitation link gets it by direct message; one a
        newcomer named never asked Terreau for anything, so they are told in the
        channel, in a message only they see where the platform has one, else not at all.
        """
        if not community.section(InvitesConfig).offer_welcome:
            return
        community_id = self._app.community_id(community.key)
        async with self._app.store.read() as uow:
            if await uow.optouts.has(community_id, by, "dm"):
                return
        purpose = community.section(InvitesConfig).channel
        where = self._app.channel(community.key, purpose)
        post = self._app.catalog(community.key).post(
            "invites.offer_welcome",
            newcomer=Mention(member_id=newcomer.id, display_name=newcomer.display_name),
            channel=ChannelMention(channel_id=where.channel_id, name=purpose),
        )
        platform = self._app.platform(community.key)
        try:
            if asked:
                await platform.send_direct(community.key, by, post)
            else:
                await platform.whisper(where, by, post)
        except Unsupported:
            return
        except PlatformError as error:
            log.info(
                "%s: could not offer %s to welcome %s: %s", community.key, by, newcomer.id, error
            )
