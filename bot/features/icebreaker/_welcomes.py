"""Welcomes: greet each newcomer once, after a delay, with a question and two friendly faces.

A join plans the welcome in the database; the ten-minute tick sends those due,
outside quiet hours, skipping members who left. The pending-to-sent change, the invitation
record and the outbox row share one transaction, so a welcome goes out once even
across restarts. A 🔕 reaction on the welcome, or its button, opts the newcomer out.
A newcomer held at the platform's rules screening sees no channel yet: their welcome is
planned when they pass it (`MemberVerified`), and never if they do not.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.activity import Level
from bot.config import CommunityConfig
from bot.domain import (
    Choice,
    ChoiceMade,
    Member,
    MemberJoined,
    MemberVerified,
    Mention,
    Post,
    ReactionAdded,
)
from bot.features.icebreaker._config import IcebreakerConfig
from bot.features.icebreaker._invitations import member_interests
from bot.features.icebreaker._timing import in_quiet_hours
from bot.storage import MemberRecord, UnitOfWork, Welcome

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

QUESTIONS = "icebreaker.welcome.questions"
"""The welcome questions (string keys under this prefix), rotated without repeats."""
OPT_OUT_EMOJI = frozenset({"🔕", "no_bell", ":no_bell:"})
"""Reactions on a welcome that mean "please do not tag me"."""


def welcome_nonce(community_key: str, member_id: str) -> str:
    """Return the outbox nonce of a member's welcome (one per member, ever)."""
    return f"icebreaker:{community_key}:welcome:{member_id}"


def optout_choice(member_id: str) -> str:
    """Return the id of the "don't tag me" button of a member's welcome."""
    return f"icebreaker:optout:{member_id}"


class Welcomes:
    """Plans welcomes on joins, sends them when due, and honours opt-outs from them."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app

    def _enabled(self, community_key: str) -> CommunityConfig | None:
        community = self._app.communities.get(community_key)
        if community is None:
            return None
        config = community.section(IcebreakerConfig)
        return community if config.enabled and config.welcome.enabled else None

    def serves(self, community_key: str) -> bool:
        """Return whether newcomers are welcomed in a community (its events reach this)."""
        return self._enabled(community_key) is not None

    async def on_joined(self, event: MemberJoined) -> None:
        """Plan a newcomer's welcome (once per member, even if they rejoin), unless held."""
        if event.screening:
            log.debug("welcome of %s in %s waits for screening", event.member.id, event.community)
            return
        await self._plan(event.community, event.member, event.occurred_at, event.occurred_at)

    async def on_verified(self, event: MemberVerified) -> None:
        """Plan the welcome of a newcomer who passed screening, counting from that moment."""
        joined_at = event.member.joined_at or event.occurred_at
        await self._plan(event.community, event.member, joined_at, event.occurred_at)

    async def _plan(
        self, community_key: str, member: Member, joined_at: datetime, ready_at: datetime
    ) -> None:
        community = self._enabled(community_key)
        if community is None or member.is_bot:
            return
        delay = timedelta(minutes=community.section(IcebreakerConfig).welcome.delay_minutes)
        async with self._app.store.transaction() as uow:
            planned = await uow.icebreaker.add_welcome(
                self._app.community_id(community.key),
                member.id,
                joined_at=joined_at,
                due_at=ready_at + delay,
            )
        if planned:
            log.info("welcome of %s in %s planned in %s", member.id, community.key, delay)

    async def send_due(self, community: CommunityConfig) -> int:
        """Send every welcome due now (none in quiet hours); return how many were sent."""
        now = self._app.clock.now()
        if in_quiet_hours(
            now, community.timezone, community.section(IcebreakerConfig).quiet_window()
        ):
            return 0
        community_id = self._app.community_id(community.key)
        async with self._app.store.transaction() as uow:
            due = await uow.icebreaker.due_welcomes(community_id, now)
        if not due:
            return 0
        sent = 0
        for welcome in due:
            outbox_id = await self._queue(community, community_id, welcome)
            if outbox_id is not None and await self._app.delivery.deliver(outbox_id) is not None:
                sent += 1
        return sent

    async def _queue(
        self, community: CommunityConfig, community_id: int, welcome: Welcome
    ) -> int | None:
        # fresh: a leave still queued for the log must count
        async with self._app.store.transaction(fresh=True) as uow:
            member = await uow.members.get(community_id, welcome.member_id)
            skip = None
            if member is None or member.left_at is not None:
                skip = "left"
            elif await uow.optouts.has(community_id, welcome.member_id, "tagging"):
                skip = "opted_out"
            if skip is not None:
                await uow.icebreaker.finish_welcome(
                    community_id, welcome.member_id, "skipped", skip
                )
                log.info("welcome of %s in %s skipped: %s", welcome.member_id, community.key, skip)
                return None
            assert member is not None
            if not await uow.icebreaker.finish_welcome(community_id, member.member_id, "sent"):
                return None
            post = await self._post(uow, community, community_id, member)
            where = self._app.channel(
                community.key, community.section(IcebreakerConfig).welcome_channel
            )
            await uow.icebreaker.record(
                community_id,
                member.member_id,
                kind="welcome",
                nonce=f"welcome:{member.member_id}",
                channel_id=where.channel_id,
                level=Level.NEW.value,
            )
            return await self._app.delivery.enqueue(
                uow,
                community_id=community_id,
                where=where,
                post=post,
                nonce=welcome_nonce(community.key, member.member_id),
            )

    async def _post(
        self, uow: UnitOfWork, community: CommunityConfig, community_id: int, member: MemberRecord
    ) -> Post:
        catalog = self._app.catalog(community.key)
        question = await uow.rotation.pick(
            community_id,
            QUESTIONS,
            catalog.keys(f"{QUESTIONS}."),
            seed=f"welcome:{community.key}",
        )
        friends = await self._introductions(uow, community, community_id, member.member_id)
        post = catalog.post(
            "icebreaker.welcome.text",
            newcomer=Mention(member_id=member.member_id, display_name=member.display_name),
            question=catalog.text(question),
            friends=friends,
        )
        button = Choice(
            id=optout_choice(member.member_id), label=catalog.text("icebreaker.welcome.button")
        )
        return Post(text=post.text, mentions=post.mentions, choices=(button,))

    async def _introductions(
        self, uow: UnitOfWork, community: CommunityConfig, community_id: int, newcomer: str
    ) -> list[Mention]:
        """Return up to `introduce` active members who share an interest (or volunteered)."""
        config = community.section(IcebreakerConfig)
        if config.welcome.introduce == 0:
            return []
        now = self._app.clock.now()
        levels = await uow.activity.levels(community_id, now.date(), config.levels.thresholds())
        opted_out = await uow.optouts.members(community_id, "tagging")
        champions = set(await uow.icebreaker.champions(community_id))
        names = {m.member_id: m.display_name for m in await uow.members.present(community_id)}
        pool = [
            member
            for member, level in levels.items()
            if member != newcomer
            and member not in opted_out
            and member in names
            and (level in (Level.CORE, Level.ACTIVE) or member in champions)
        ]
        interests = await member_interests(uow, community, community_id, [newcomer, *pool], now)
        mine = interests.get(newcomer, frozenset())

        def rank(member: str) -> tuple[int, int, int, bytes]:
            shared = len(mine & interests.get(member, frozenset()))
            tie = hashlib.sha256(f"{newcomer}\x00{member}".encode()).digest()
            return (-shared, member not in champions, levels[member] is not Level.CORE, tie)

        fitting = [m for m in pool if mine & interests.get(m, frozenset()) or m in champions]
        fitting.sort(key=rank)
        return [
            Mention(member_id=m, display_name=names[m]) for m in fitting[: config.welcome.introduce]
        ]

    async def on_reaction(self, event: ReactionAdded) -> None:
        """Opt a newcomer out when they react 🔕 to their own welcome."""
        if event.emoji not in OPT_OUT_EMOJI or self._enabled(event.community) is None:
            return
        async with self._app.store.transaction() as uow:
            welcome = await uow.outbox.by_nonce(welcome_nonce(event.community, event.member.id))
            if welcome is None or welcome.message_id != event.message_id:
                return
        await self.opt_out(event.community, event.member.id)

    async def on_choice(self, event: ChoiceMade) -> None:
        """Handle the "don't tag me" button of a welcome: only its newcomer may press it."""
        parts = event.choice_id.split(":")
        if len(parts) != 3 or parts[1] != "optout":
            await self._app.reply(event, "messages.choices.expired")
            return
        if parts[2] != event.member.id:
            await self._app.reply(event, "icebreaker.welcome.not_yours")
            return
        await self.opt_out(event.community, event.member.id)
        await self._app.reply(event, "me.optout.done")

    async def opt_out(self, community_key: str, member_id: str) -> bool:
        """Record that a member wants neither tags nor direct messages; False if already so."""
        community_id = self._app.community_id(community_key)
        async with self._app.store.transaction() as uow:
            added = await uow.optouts.add(community_id, member_id, "tagging")
            await uow.optouts.add(community_id, member_id, "dm")
        log.info("%s in %s opted out of tags and direct messages", member_id, community_key)
        return added
