"""Icebreaker posts: pick a few members gently, a question that fits them, post once."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.activity import Level
from bot.config import CommunityConfig
from bot.domain import Mention
from bot.features.icebreaker._config import IcebreakerConfig
from bot.features.icebreaker._outcomes import conversions, refresh_outcomes
from bot.features.icebreaker._selection import (
    Candidate,
    Contact,
    Rules,
    Selection,
    Verdict,
    select,
)
from bot.features.icebreaker._timing import in_quiet_hours
from bot.features.icebreaker._topics import fitting_items, interests_of, without_duds
from bot.storage import UnitOfWork, rotation_order

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

POOL = "icebreaker"
PREVIEW_NEXT = 5
_LEVELS = {level.value: level for level in Level}
"""How many members next in line a plan lists (for the preview)."""
INTEREST_LOOKBACK = timedelta(days=90)
"""How far back the channels a member used count as their interests."""


def job_id(community_key: str) -> str:
    """Return the scheduler and ledger id of a community's icebreaker posts."""
    return f"icebreaker:{community_key}"


def rules_of(community: CommunityConfig) -> Rules:
    """Return the selection rules a community configured."""
    config = community.section(IcebreakerConfig)
    return Rules(
        max_invitees=config.max_invitees,
        cooldown=timedelta(days=config.cooldown_days),
        max_unanswered=config.max_unanswered,
        pause=timedelta(days=config.pause_days),
        invite_levels=frozenset(Level(level) for level in config.invite_levels),
    )


async def member_interests(
    uow: UnitOfWork,
    community: CommunityConfig,
    community_id: int,
    members: Sequence[str],
    now: datetime,
) -> dict[str, frozenset[str]]:
    """Return the topics of `members`: declared, else the tags of the channels they used."""
    declared = await uow.icebreaker.interests(community_id, members)
    used = await uow.icebreaker.channels_of(community_id, members, now - INTEREST_LOOKBACK)
    purpose_of = {channel: purpose for purpose, channel in community.channels.items()}
    purposes = {
        member: frozenset(purpose_of[c] for c in channels if c in purpose_of)
        for member, channels in used.items()
    }
    return interests_of(
        declared, purposes, community.section(IcebreakerConfig).channel_tags, members
    )


class Invitations:
    """Plans, previews and posts a community's icebreakers."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app

    def quiet_now(self, community: CommunityConfig) -> bool:
        """Return whether the community is in its quiet hours now."""
        window = community.section(IcebreakerConfig).quiet_window()
        return in_quiet_hours(self._app.clock.now(), community.timezone, window)

    async def plan(self, community: CommunityConfig, *, explain: bool = False) -> Selection:
        """Return who would be invited now (nothing is sent).

        By default the database shortlists the members some rule could choose, in
        rotation order, and `select` applies every rule to that shortlist, widening it
        if too many of it rest after unanswered invitations. With `explain` (the
        preview), every member goes through `select`, so each has a reason; both ways
        choose the same members.
        """
        now = self._app.clock.now()
        community_id = self._app.community_id(community.key)
        config = community.section(IcebreakerConfig)
        rules = rules_of(community)
        seed = zlib.crc32(f"{job_id(community.key)}:{now.date().isoformat()}".encode())
        async with self._app.store.transaction(fresh=True) as uow:
            await refresh_outcomes(uow, community_id, now)
            awaiting = (
                await uow.icebreaker.pending_welcomes(community_id)
                if config.welcome.enabled
                else frozenset()
            )
            opted_out = await uow.optouts.members(community_id, "tagging")
            levels = uow.activity.levels_query(community_id, now.date(), config.levels.thresholds())
            limit = rules.max_invitees * 10 + PREVIEW_NEXT
            while True:
                if explain:
                    rows = [
                        (member, name, level.value, key)
                        for member, name, level, key in await uow.activity.standings(
                            community_id, now.date(), config.levels.thresholds()
                        )
                    ]
                    contacts = await uow.icebreaker.contacts(community_id)
                else:
                    rows = await uow.icebreaker.shortlist(
                        community_id,
                        levels,
                        invite_levels=config.invite_levels,
                        contacted_before=now - rules.cooldown,
                        skip_awaiting_welcome=config.welcome.enabled,
                        seed=seed,
                        limit=limit,
                    )
                    contacts = await uow.icebreaker.contacts_of(community_id, [r[0] for r in rows])
                selection = _select(rows, contacts, rules, now, opted_out, awaiting, seed)
                if explain or len(selection.chosen) == rules.max_invitees or len(rows) < limit:
                    return selection
                limit *= 4

    async def run_scheduled(self, community_key: str, scheduled_for: datetime) -> None:
        """Run one scheduled icebreaker, at most once ever (the run ledger decides)."""
        community = self._app.communities[community_key]
        job = job_id(community_key)
        if self.quiet_now(community):
            await self._skip(job, scheduled_for, "quiet hours")
            return
        chosen = (await self.plan(community)).chosen
        if not chosen:
            await self._skip(job, scheduled_for, "nobody to invite")
            return
        async with self._app.store.transaction() as uow:
            if not await uow.ledger.claim(job, scheduled_for):
                return
            outbox_id = await self._queue(
                uow, community, chosen, nonce=f"{job}@{scheduled_for:%Y%m%dT%H%M%SZ}"
            )
            await uow.ledger.finish(job, scheduled_for, "done")
        await self._app.delivery.deliver(outbox_id)

    async def post_now(self, community: CommunityConfig, nonce: str) -> list[Verdict] | None:
        """Post an icebreaker at once; return who was invited, or None if the send failed."""
        chosen = (await self.plan(community)).chosen
        if not chosen:
            return []
        async with self._app.store.transaction() as uow:
            outbox_id = await self._queue(uow, community, chosen, nonce=nonce)
        if await self._app.delivery.deliver(outbox_id) is None:
            return None
        return chosen

    async def next_question(self, community: CommunityConfig, chosen: Sequence[Verdict]) -> str:
        """Return the id of the question the next icebreaker would ask `chosen`."""
        community_id = self._app.community_id(community.key)
        async with self._app.store.transaction() as uow:
            fitting = await self._fitting(uow, community, community_id, chosen)
            return await uow.rotation.peek(community_id, POOL, fitting, seed=job_id(community.key))

    async def _fitting(
        self,
        uow: UnitOfWork,
        community: CommunityConfig,
        community_id: int,
        chosen: Sequence[Verdict],
    ) -> list[str]:
        """Return the questions that fit the invitees, minus those that never worked here."""
        now = self._app.clock.now()
        members = [v.candidate.member_id for v in chosen]
        interests = await member_interests(uow, community, community_id, members, now)
        items = fitting_items(self._app.catalog(community.key).pool(POOL).items, interests)
        invitations = await uow.icebreaker.invitations(community_id, "invitation")
        worked = {
            c.label: (c.within_7d.known, c.within_7d.converted)
            for c in conversions(invitations, now, lambda r: r.prompt)
        }
        return without_duds(items, worked)

    async def _queue(
        self, uow: UnitOfWork, community: CommunityConfig, chosen: Sequence[Verdict], *, nonce: str
    ) -> int:
        now = self._app.clock.now()
        community_id = self._app.community_id(community.key)
        catalog = self._app.catalog(community.key)
        fitting = await self._fitting(uow, community, community_id, chosen)
        item_id = await uow.rotation.pick(
            community_id, POOL, fitting, seed=job_id(community.key), at=now
        )
        post = catalog.post(
            "icebreaker.invitation",
            question=catalog.render_item(POOL, item_id).text,
            invitees=[
                Mention(member_id=v.candidate.member_id, display_name=v.candidate.display_name)
                for v in chosen
            ],
        )
        where = self._app.channel(community.key, community.section(IcebreakerConfig).channel)
        for verdict in chosen:
            await uow.icebreaker.record(
                community_id,
                verdict.candidate.member_id,
                kind="invitation",
                nonce=f"{nonce}:{verdict.candidate.member_id}",
                prompt=item_id,
                channel_id=where.channel_id,
                level=verdict.candidate.level.value,
                at=now,
            )
        log.info(
            "icebreaker in %s: %s invited with %r",
            community.key,
            ", ".join(v.candidate.member_id for v in chosen),
            item_id,
        )
        return await self._app.delivery.enqueue(
            uow,
            community_id=community_id,
            where=where,
            post=post,
            nonce=nonce,
            job_id=job_id(community.key),
        )

    async def _skip(self, job: str, scheduled_for: datetime, why: str) -> None:
        async with self._app.store.transaction() as uow:
            if await uow.ledger.claim(job, scheduled_for):
                await uow.ledger.finish(job, scheduled_for, "skipped", why)
                log.info("%s at %s skipped: %s", job, scheduled_for, why)


def _select(
    rows: Sequence[tuple[str, str, str, int]],
    contacts: Sequence[tuple[str, str, datetime, datetime | None]],
    rules: Rules,
    now: datetime,
    opted_out: Collection[str],
    awaiting: Collection[str],
    seed: int,
) -> Selection:
    history: dict[str, list[Contact]] = {}
    for member, kind, sent_at, responded_at in contacts:
        history.setdefault(member, []).append(
            Contact(kind=kind, sent_at=sent_at, responded_at=responded_at)
        )
    # Rows hold present humans only; bots and leavers never reach selection.
    candidates = [
        Candidate(
            member_id=member,
            display_name=name,
            level=_LEVELS[level],
            order=rotation_order(key, seed),
        )
        for member, name, level, key in rows
    ]
    return select(
        candidates,
        history,
        rules=rules,
        now=now,
        opted_out=opted_out,
        awaiting_welcome=awaiting,
        show=PREVIEW_NEXT,
    )
