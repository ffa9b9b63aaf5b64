"""Café rounds: plan the groups, introduce them, ask whether they met, keep history short.

A round is planned from the members who opted in, then its groups are recorded,
each marked as waiting for its introduction, in the transaction that claims the
run in the ledger: after a crash or a restart the run is not claimed again.
Each group then gets a private space in the café channel (a platform call,
outside any transaction), and the space is recorded with the group's intro in
the outbox by compare-and-set on that mark, so the outbox sends each intro once.

Two processes on one database never both open a group's space: before the
platform call, the opener claims it in the database (`claim_space`: its lease
owner and an expiry `SPACE_LEASE` ahead, by compare-and-set), and a group
claimed by a live lease is left alone. A failed call releases the claim at once;
a group still waiting because its opener died before the platform's answer was
recorded is claimed again once the lease lapses, at the next tick. The claim
count then says an earlier attempt ran (or failed without saying whether it
made the space), so the log names the space's title: one may have been left
open but unused (one at most per crash, never a group without its intro, never
two intros). Platforms give no way to find a space by what Terreau asked for,
so such a space is not adopted.

Where the platform cannot open spaces the group is introduced in the café
channel. Check-ins go to the group's space, or the café channel, the round's
`checkin_sent_at` set by compare-and-set in the transaction that queues them.

Spaces are archived (`archive_space`: kept readable, never deleted)
`archive_days` after their round's check-in, by the hourly tick; `archived_at` is
recorded after the platform's answer, so a crash in between archives again at the
next tick, which platforms take as no error.

Quiet hours (the community's, `[communities.icebreaker] quiet_hours`) defer rather
than skip: a round due at night is planned at its time, so its members keep their
turn, but its spaces, introductions, check-ins and questions whether to stay wait
for the first hourly tick after the quiet hours end. Skipping would cost a member a
whole round for a schedule they did not choose; a message at 8:00 costs nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import zlib
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.config import CommunityConfig
from bot.domain import ChannelRef, Choice, Mention, Post
from bot.features.cafe._config import CafeConfig
from bot.features.cafe._pairing import Group, Pool, plan_round
from bot.features.icebreaker import IcebreakerConfig, in_quiet_hours
from bot.features.privacy import PrivacyConfig
from bot.ports import Forbidden, NotFound, PlatformError, RateLimited, Unsupported
from bot.storage import UnitOfWork
from bot.storage.cafe import CafeGroup, Cafes, NewGroup

if TYPE_CHECKING:
    from bot.feature import FeatureContext
    from bot.prompts import Catalog

log = logging.getLogger(__name__)

POOL = "cafe"
"""The pool of conversation starters (`prompts/<lang>/cafe.toml`)."""
SPACE_LEASE = timedelta(minutes=5)
"""How long a process may take to open a group's space before another may try."""
ANSWER_CHOICES = ("met", "not_yet", "skip")
STAY_CHOICES = ("yes", "no")

ConfigOf = Callable[[CommunityConfig], CafeConfig]


def job_id(community_key: str) -> str:
    """Return the scheduler and ledger id of a community's café rounds."""
    return f"cafe:{community_key}"


def tick_job_id(community_key: str) -> str:
    """Return the id of the hourly job that sends due check-ins."""
    return f"cafe:{community_key}:tick"


def purge_job_id(community_key: str) -> str:
    """Return the id of the daily job that deletes café history past retention."""
    return f"cafe:{community_key}:purge"


def seed_of(community_key: str, scheduled_for: datetime) -> int:
    """Return the seed of a round: the same round is always planned the same way."""
    return zlib.crc32(f"{job_id(community_key)}@{scheduled_for.isoformat()}".encode())


def contact_pairs(
    responses: Sequence[tuple[str, str, datetime]], members: Collection[str] | None = None
) -> set[frozenset[str]]:
    """Return the pairs who replied or reacted to each other, among `members` if given."""
    pairs = set()
    for responder, author, _ in responses:
        if members is None or (responder in members and author in members):
            pairs.add(frozenset((responder, author)))
    return pairs


class Rounds:
    """Plans, introduces and checks in on a community's café rounds."""

    def __init__(self, app: FeatureContext, config_of: ConfigOf) -> None:
        self._app = app
        self._config_of = config_of
        self._introducing: dict[str, asyncio.Lock] = {}
        """One introducer per community in this process: a round and the tick due at the
        same minute never both open a space for one waiting group."""

    async def plan(
        self, uow: UnitOfWork, community: CommunityConfig, seed: int
    ) -> tuple[list[Group], dict[str, str], set[frozenset[str]]]:
        """Return this round's groups, the members' names, and who knew whom."""
        config = self._config_of(community)
        community_id = self._app.community_id(community.key)
        now = self._app.clock.now()
        cafes = uow.repository(Cafes)
        pairable = await cafes.pairable(community_id, now)
        opted_out = await uow.optouts.members(community_id, "tagging")
        members = [m for m in pairable if m not in opted_out]
        names = {
            record.member_id: record.display_name
            for record in await uow.members.present(community_id)
            if record.member_id in set(members)
        }
        forbidden = await cafes.avoided(community_id) | await cafes.recent_pairs(
            community_id, config.no_repeat_rounds
        )
        chosen = set(members)
        responses = await cafes.interaction_pairs(
            community_id, now - timedelta(days=config.lookback_days), members=chosen
        )
        contacts = contact_pairs(responses, chosen)
        interests: Mapping[str, frozenset[str]] = {}
        if config.prefer_interests:
            interests = await uow.icebreaker.interests(community_id, members)
        plan = plan_round(
            Pool(members=members, forbidden=forbidden, contacts=contacts, interests=interests),
            size=config.group_size,
            seed=seed,
            prefer_interests=config.prefer_interests,
        )
        if plan.left_out:
            log.info(
                "café in %s: %d member(s) sit this round out (no group may take them)",
                community.key,
                len(plan.left_out),
            )
        return list(plan.groups), names, contacts

    async def run_scheduled(self, community_key: str, scheduled_for: datetime) -> None:
        """Run one round, at most once ever (the run ledger and the round's row decide)."""
        community = self._app.communities[community_key]
        config = self._config_of(community)
        job = job_id(community_key)
        community_id = self._app.community_id(community_key)
        async with self._app.store.transaction() as uow:
            await uow.repository(Cafes).tally_unanswered(community_id, config.unanswered_rounds)
        await self._ask_to_stay(community)
        seed = seed_of(community_key, scheduled_for)
        async with self._app.store.read(fresh=True) as uow:
            groups, _names, contacts = await self.plan(uow, community, seed)
        async with self._app.store.transaction() as uow:
            if not await uow.ledger.claim(job, scheduled_for):
                return
            if len(groups) == 0:
                await uow.ledger.finish(job, scheduled_for, "skipped", "fewer than two members")
                log.info("café round %s at %s skipped: nobody to pair", job, scheduled_for)
                return
            await self._record(uow, community, scheduled_for, seed, groups, contacts)
            await uow.ledger.finish(job, scheduled_for, "done", f"{len(groups)} groups")
        log.info("café round in %s: %d groups", community_key, len(groups))
        if self.quiet(community):
            log.info(
                "café round in %s: introductions wait for the end of quiet hours", community_key
            )
        await self.introduce_pending(community_key)

    def quiet(self, community: CommunityConfig) -> bool:
        """Tell whether the community is in its quiet hours now (nobody is tagged or messaged)."""
        window = community.section(IcebreakerConfig).quiet_window()
        return in_quiet_hours(self._app.clock.now(), community.timezone, window)

    async def _record(
        self,
        uow: UnitOfWork,
        community: CommunityConfig,
        scheduled_for: datetime,
        seed: int,
        groups: Sequence[Group],
        contacts: Collection[frozenset[str]],
    ) -> None:
        config = self._config_of(community)
        community_id = self._app.community_id(community.key)
        now = self._app.clock.now()
        cafes = uow.repository(Cafes)
        round_id = await cafes.start_round(
            community_id,
            scheduled_for,
            seed=seed,
            checkin_due=now + timedelta(days=config.checkin_days),
        )
        if round_id is None:
            return
        starters = self._app.catalog(community.key).pool(POOL).items
        chosen: list[NewGroup] = []
        for number, group in enumerate(groups, start=1):
            fitting = [s.id for s in starters if group.interest and group.interest in s.tags]
            pool = fitting or [s.id for s in starters]
            chosen.append(
                NewGroup(
                    number=number,
                    members=group.members,
                    starter=pool[_pick(f"{seed}:{number}", len(pool))],
                    interest=group.interest if fitting else None,
                )
            )
        await cafes.add_groups(community_id, round_id, chosen, contacts=contacts, pending=True)

    async def introduce_pending(self, community_key: str) -> None:
        """Open a space for each group waiting for its intro, and queue the intro there.

        Nothing happens in quiet hours: the groups wait, recorded, for the next tick.
        """
        if self.quiet(self._app.communities[community_key]):
            return
        async with self._introducing.setdefault(community_key, asyncio.Lock()):
            await self._introduce_pending(community_key)

    async def _introduce_pending(self, community_key: str) -> None:
        community_id = self._app.community_id(community_key)
        async with self._app.store.read(fresh=True) as uow:
            cafes = uow.repository(Cafes)
            pending = await cafes.groups(community_id, pending=True)
            if not pending:
                return
            rounds = {r.id: r.scheduled_for for r in await cafes.rounds(community_id)}
            names = {r.member_id: r.display_name for r in await uow.members.present(community_id)}
        for group in pending:
            try:
                await self._introduce(community_key, group, rounds[group.round_id], names)
            except PlatformError as error:
                log.warning(
                    "café in %s: group %d: %s; trying again later", community_key, group.id, error
                )

    async def _introduce(
        self,
        community_key: str,
        group: CafeGroup,
        scheduled_for: datetime,
        names: Mapping[str, str],
    ) -> None:
        community = self._app.communities[community_key]
        config = self._config_of(community)
        community_id = self._app.community_id(community_key)
        catalog = self._app.catalog(community_key)
        parent = self._app.channel(community_key, config.channel)
        members = [m for m in group.members if not m.startswith("erased:")]
        owner = self._app.delivery.owner
        title = catalog.text(
            "cafe.space_title", day=scheduled_for, timezone=community.timezone, number=group.number
        )
        async with self._app.store.transaction() as uow:
            claims = await uow.repository(Cafes).claim_space(
                group.id, owner, self._app.clock.now() + SPACE_LEASE
            )
        if claims is None:
            return  # introduced meanwhile, or another process is opening its space
        if claims > 1:
            log.warning(
                "café in %s: group %d: an earlier attempt to open its space did not finish; "
                "a space titled %r may have been left unused (delete it if so)",
                community_key,
                group.id,
                title,
            )
        space: ChannelRef | None
        try:
            space = await self._app.platform(community_key).open_space(
                parent, title, members, private=True
            )
        except (Unsupported, Forbidden) as error:
            log.info(
                "café in %s: group %d meets in the café channel: %s", community_key, group.id, error
            )
            space = None
        except PlatformError as error:
            # Tried again at the next tick; a refusal to slow down surely made no space.
            async with self._app.store.transaction() as uow:
                await uow.repository(Cafes).release_space(
                    group.id, owner, opened=not isinstance(error, RateLimited)
                )
            raise
        async with self._app.store.transaction() as uow:
            if not await uow.repository(Cafes).introduce(
                group.id,
                space_channel_id=None if space is None else space.channel_id,
                space_thread_id=None if space is None else space.thread_id,
            ):
                return
            assert group.starter is not None
            post = catalog.post(
                "cafe.intro",
                members=_mentions(group.members, names),
                starter=catalog.render_item(POOL, group.starter).text.split("\n\n", 1)[-1],
                interest=group.interest,
                checkin_days=config.checkin_days,
            )
            outbox_id = await self._app.delivery.enqueue(
                uow,
                community_id=community_id,
                where=space or parent,
                post=post,
                nonce=f"{job_id(community_key)}@{scheduled_for:%Y%m%dT%H%M%SZ}:{group.number}",
                job_id=job_id(community_key),
                scheduled_for=scheduled_for,
            )
        await self._app.delivery.deliver(outbox_id)

    async def send_checkins(self, community_key: str, _scheduled_for: datetime) -> None:
        """Ask the groups of every round whose check-in is due whether they met.

        In quiet hours nothing is sent; what fell due waits for the next tick after.
        Spaces due for archiving are archived first (that tells nobody anything).
        """
        community = self._app.communities[community_key]
        await self.archive_spaces(community_key)
        if self.quiet(community):
            return
        config = self._config_of(community)
        community_id = self._app.community_id(community_key)
        catalog = self._app.catalog(community_key)
        where = self._app.channel(community_key, config.channel)
        await self._ask_to_stay(community)
        await self.introduce_pending(community_key)
        async with self._app.store.read() as uow:
            due = await uow.repository(Cafes).due_checkins(community_id, self._app.clock.now())
        sent = 0
        for round_id in due:
            async with self._app.store.transaction() as uow:
                cafes = uow.repository(Cafes)
                if not await cafes.mark_checkin_sent(round_id):
                    continue
                groups = await cafes.groups(community_id, round_ids=[round_id])
                names = {
                    r.member_id: r.display_name for r in await uow.members.present(community_id)
                }
                outbox_ids = [
                    await self._app.delivery.enqueue(
                        uow,
                        community_id=community_id,
                        where=space_of(community_key, group) or where,
                        post=checkin_post(catalog, group.id, group.members, names),
                        nonce=f"{job_id(community_key)}:checkin:{group.id}",
                        job_id=tick_job_id(community_key),
                    )
                    for group in groups
                ]
            for outbox_id in outbox_ids:
                await self._app.delivery.deliver(outbox_id)
            sent += len(outbox_ids)
        if sent:
            log.info("café in %s: %d check-ins sent", community_key, sent)

    async def archive_spaces(self, community_key: str) -> None:
        """Archive the spaces of groups whose check-in was `archive_days` ago."""
        community = self._app.communities[community_key]
        days = self._config_of(community).archive_days
        if days == 0:
            return
        community_id = self._app.community_id(community_key)
        before = self._app.clock.now() - timedelta(days=days)
        async with self._app.store.read() as uow:
            spaces = await uow.repository(Cafes).spaces_to_archive(community_id, before)
        platform = self._app.platform(community_key)
        archived = 0
        for space in spaces:
            where = ChannelRef(
                community=community_key, channel_id=space.channel_id, thread_id=space.thread_id
            )
            try:
                await platform.archive_space(where)
            except NotFound:
                log.info("café in %s: group %d's space is gone", community_key, space.group_id)
            except (Forbidden, Unsupported) as error:
                log.warning(
                    "café in %s: group %d's space stays open: %s",
                    community_key,
                    space.group_id,
                    error,
                )
            except PlatformError as error:
                log.warning(
                    "café in %s: archiving group %d's space: %s; trying again later",
                    community_key,
                    space.group_id,
                    error,
                )
                continue
            async with self._app.store.transaction() as uow:
                archived += await uow.repository(Cafes).mark_archived(space.group_id)
        if archived:
            log.info("café in %s: %d spaces archived", community_key, archived)

    async def purge(self, community_key: str, _scheduled_for: datetime) -> None:
        """Delete café rounds older than the community's retention."""
        community = self._app.communities[community_key]
        community_id = self._app.community_id(community_key)
        retention = community.section(PrivacyConfig).retention_days
        before = self._app.clock.now() - timedelta(days=retention)
        async with self._app.store.transaction() as uow:
            gone = await uow.repository(Cafes).purge_before(community_id, before)
        if gone:
            log.info("café in %s: %d seats past retention deleted", community_key, gone)

    async def _ask_to_stay(self, community: CommunityConfig) -> None:
        """Ask privately, once, the members who left their check-ins unanswered (not at night)."""
        if self.quiet(community):
            return
        catalog = self._app.catalog(community.key)
        config = self._config_of(community)
        community_id = self._app.community_id(community.key)
        async with self._app.store.transaction() as uow:
            members = await uow.repository(Cafes).take_stay_questions(community_id)
            if not members:
                return
            closed = await uow.optouts.members(community_id, "dm")
        post = dataclasses.replace(
            catalog.post("cafe.stay.ask", rounds=config.unanswered_rounds),
            choices=tuple(
                Choice(id=f"cafe:stay:{choice}", label=catalog.text(f"cafe.stay.choices.{choice}"))
                for choice in STAY_CHOICES
            ),
        )
        platform = self._app.platform(community.key)
        for member in members:
            if member in closed:
                continue
            try:
                await platform.send_direct(community.key, member, post)
            except Forbidden as error:
                log.info("café: %s in %s does not accept DMs (%s)", member, community.key, error)
            except PlatformError as error:
                log.warning("café: could not ask %s in %s: %s", member, community.key, error)


def checkin_post(
    catalog: Catalog, group_id: int, members: Sequence[str], names: Mapping[str, str]
) -> Post:
    """Return the "did you meet?" post of a group, with its three buttons."""
    return dataclasses.replace(
        catalog.post("cafe.checkin.ask", members=_mentions(members, names)),
        choices=tuple(
            Choice(id=f"cafe:g{group_id}:{choice}", label=catalog.text(f"cafe.choices.{choice}"))
            for choice in ANSWER_CHOICES
        ),
    )


def space_of(community_key: str, group: CafeGroup) -> ChannelRef | None:
    """Return the private space a group talks in; None: the café channel."""
    if group.space_channel_id is None:
        return None
    return ChannelRef(
        community=community_key, channel_id=group.space_channel_id, thread_id=group.space_thread_id
    )


def _mentions(members: Sequence[str], names: Mapping[str, str]) -> list[Mention]:
    return [
        Mention(member_id=member, display_name=names.get(member, member))
        for member in members
        if not member.startswith("erased:")
    ]


def _pick(key: str, count: int) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % count
