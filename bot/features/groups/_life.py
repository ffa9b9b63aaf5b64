"""A group's life: gathering members, opening its space, a notice when silent, the end.

Nothing here trusts memory. Every move is a compare-and-set on the group's stored
status, taken by whichever process or retried click gets there first, and every
post goes through the outbox with a nonce naming the group and the step. The
deadline, the silence and the archiving are checked from stored timestamps by an
hourly tick (the first at start-up) and before every command, so what fell due
while Terreau was down happens when it comes back.

Opening a space is a platform call outside the transaction: the group is marked
open first, and a group open without a space is opened again at the next check.
A crash between the platform's answer and its recording can leave one unused
thread or channel behind; it never leaves a group without one.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot import commands
from bot.config import CommunityConfig
from bot.domain import ChannelRef, Choice, Member, Mention, Post
from bot.features.groups._config import GroupsConfig
from bot.ports import Forbidden, PlatformError, Unsupported
from bot.scheduling import Job, parse_cron
from bot.storage import UnitOfWork
from bot.storage.groups import Group, Groups

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

TICK = "7 * * * *"
"""When deadlines, silences and shared interests are checked (hourly)."""

EVER = datetime(2000, 1, 1, tzinfo=UTC)
"""The run-ledger instant of one-time steps (a suggestion is made once per topic)."""


class Refusal(commands.Refusal):
    """A request refused, with the prompt key (under `groups.refuse.`) saying why."""

    prefix = "groups.refuse."


def tick_job_id(community_key: str) -> str:
    """Return the scheduler id of a community's hourly check."""
    return f"groups:{community_key}:tick"


def topic_key(topic: str) -> str:
    """Return the form topics are compared in (case and spacing ignored)."""
    return " ".join(topic.casefold().split())


class GroupLife:
    """Proposes, gathers, opens, warns and ends the groups of every community."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app

    def communities(self) -> list[CommunityConfig]:
        """Return the communities with groups enabled."""
        return [c for c in self._app.communities.values() if c.section(GroupsConfig).enabled]

    def schedule_all(self) -> None:
        """Add each community's hourly check."""
        for community in self.communities():
            self._app.jobs.add(
                Job(
                    id=tick_job_id(community.key),
                    community=community.key,
                    schedule=parse_cron(TICK),
                    timezone="UTC",
                    grace=timedelta(days=1),
                    run=functools.partial(self.run_tick, community.key),
                )
            )

    async def run_tick(self, community_key: str, _scheduled_for: datetime) -> None:
        """Scheduler entry point of the check."""
        await self.advance(community_key)
        await self.suggest(community_key)

    # Members' requests.

    async def propose(
        self, community: CommunityConfig, proposer: Member, topic: str, why: str
    ) -> Group:
        """Store a proposal and post it with its Join button."""
        rules = community.section(GroupsConfig)
        community_id = self._app.community_id(community.key)
        deadline = self._app.clock.now() + timedelta(hours=rules.proposal_hours)
        channel = self._app.channel(community.key, rules.channel)
        async with self._app.store.transaction() as uow:
            repo = uow.repository(Groups)
            same = await repo.live_on(community_id, topic_key(topic))
            if same is not None:
                raise Refusal("same_topic", topic=same.topic, group=same.id)
            group = await repo.propose(
                community_id=community_id,
                topic=topic,
                topic_key=topic_key(topic),
                why=why,
                proposer_id=proposer.id,
                needed=rules.members_needed,
                channel_id=channel.channel_id,
                deadline_at=deadline,
            )
            catalog = self._app.catalog(community.key)
            post = catalog.post(
                "groups.posts.proposed",
                topic=topic,
                why=why,
                proposer=Mention(member_id=proposer.id, display_name=proposer.display_name),
                needed=group.needed,
                deadline=deadline,
                timezone=community.timezone,
                group=group.id,
            )
            label = catalog.text("groups.join_label")
            post = dataclasses.replace(post, choices=(Choice(id=join_id(group.id), label=label),))
            outbox = await self._queue(uow, group, "proposed", post, channel)
        sent = await self._app.delivery.deliver(outbox)
        if sent is not None:
            async with self._app.store.transaction() as uow:
                await uow.repository(Groups).set(group.id, proposal_message_id=sent.message_id)
        return group

    async def join(self, community: CommunityConfig, group_id: int, member_id: str) -> Group:
        """Add a member to a gathering or open group; open it once enough joined."""
        community_id = self._app.community_id(community.key)
        opened = False
        async with self._app.store.transaction() as uow:
            repo = uow.repository(Groups)
            group = await self._live(repo, community_id, group_id)
            if not await repo.join(group, member_id):
                raise Refusal("already_member", topic=group.topic)
            if group.status == "proposing":
                count = (await repo.counts([group.id])).get(group.id, 0)
                opened = count >= group.needed and await repo.move(
                    group.id, "proposing", "open", opened_at=self._app.clock.now()
                )
        if opened:
            await self.open_space(community, group.id)
        elif group.status == "open" and group.space_channel_id is not None:
            await self._add(community, group, member_id)
        async with self._app.store.read() as uow:
            return await uow.repository(Groups).get(community_id, group.id) or group

    async def leave(self, community: CommunityConfig, group_id: int, member_id: str) -> Group:
        """Take a member out of a group's list (the platform space they leave themselves)."""
        community_id = self._app.community_id(community.key)
        async with self._app.store.transaction() as uow:
            repo = uow.repository(Groups)
            group = await self._live(repo, community_id, group_id)
            if not await repo.leave(group, member_id):
                raise Refusal("not_member", topic=group.topic)
        return group

    async def close(self, community: CommunityConfig, group_id: int, by: str) -> Group:
        """End a group at a moderator's request: archived, never deleted."""
        community_id = self._app.community_id(community.key)
        now = self._app.clock.now()
        async with self._app.store.transaction() as uow:
            repo = uow.repository(Groups)
            group = await self._live(repo, community_id, group_id)
            if not await repo.move(group.id, group.status, "closed", ended_at=now, ended_by=by):
                raise Refusal("unknown", group=group_id)
            outbox = None
            space = space_of(community.key, group)
            if space is not None:
                post = self._app.catalog(community.key).post(
                    "groups.posts.closed", topic=group.topic
                )
                outbox = await self._queue(uow, group, "closed", post, space)
        if outbox is not None:
            await self._app.delivery.deliver(outbox)
        await self._archive(community, group)
        return group

    async def list(self, community: CommunityConfig) -> list[tuple[Group, int]]:
        """Return the live groups with their member counts."""
        await self.advance(community.key)
        async with self._app.store.read() as uow:
            repo = uow.repository(Groups)
            groups = await repo.live(self._app.community_id(community.key))
            counts = await repo.counts([g.id for g in groups])
        return [(group, counts.get(group.id, 0)) for group in groups]

    # Moving along stored timestamps.

    async def advance(self, community_key: str) -> None:
        """Expire, open, warn and archive a community's groups as their timestamps say."""
        community = self._app.communities[community_key]
        if not community.section(GroupsConfig).enabled:
            return
        community_id = self._app.community_id(community_key)
        async with self._app.store.read(fresh=True) as uow:
            repo = uow.repository(Groups)
            groups = await repo.live(community_id)
            last_posts = {g.id: await repo.last_post(g) for g in groups if g.status == "open"}
        for group in groups:
            try:
                if group.status == "proposing":
                    await self._expire_if_due(community, group)
                elif group.space_channel_id is None:
                    await self.open_space(community, group.id)
                else:
                    await self._watch_silence(community, group, last_posts.get(group.id))
            except PlatformError as error:
                log.warning("%s: group %d: %s; trying again later", community_key, group.id, error)

    async def _expire_if_due(self, community: CommunityConfig, group: Group) -> None:
        now = self._app.clock.now()
        if now < group.deadline_at:
            return
        async with self._app.store.transaction() as uow:
            repo = uow.repository(Groups)
            if not await repo.move(group.id, "proposing", "expired", ended_at=now):
                return
            count = (await repo.counts([group.id])).get(group.id, 0)
            post = self._app.catalog(community.key).post(
                "groups.posts.expired",
                topic=group.topic,
                count=count,
                needed=group.needed,
                proposer=(await mentions(uow, group.community_id, [group.proposer_id]))[0]
                if group.proposer_id
                else None,
            )
            where = ChannelRef(community=community.key, channel_id=group.proposal_channel_id)
            outbox = await self._queue(uow, group, "expired", post, where)
        await self._app.delivery.deliver(outbox)
        log.info(
            "%s: group %d on %r expired with %d members",
            community.key,
            group.id,
            group.topic,
            count,
        )

    async def open_space(self, community: CommunityConfig, group_id: int) -> None:
        """Open the space of an open group that has none, add its members and greet them."""
        community_id = self._app.community_id(community.key)
        async with self._app.store.read() as uow:
            repo = uow.repository(Groups)
            group = await repo.get(community_id, group_id)
            members = await repo.members(group_id)
        if group is None or group.status != "open" or group.space_channel_id is not None:
            return
        catalog = self._app.catalog(community.key)
        title = catalog.text("groups.space_title", topic=group.topic)
        parent = ChannelRef(community=community.key, channel_id=group.proposal_channel_id)
        rules = community.section(GroupsConfig)
        platform = self._app.platform(community.key)
        space: ChannelRef | None
        try:
            space = await platform.open_space(parent, title, members, private=rules.private)
        except (Unsupported, Forbidden) as error:
            log.info("%s: group %d talks in a thread: %s", community.key, group.id, error)
            space = await self._thread_space(community, group, members, title)
        if space is None:
            return
        async with self._app.store.transaction() as uow:
            named = await mentions(uow, community_id, members)
            await uow.repository(Groups).set(
                group.id, space_channel_id=space.channel_id, space_thread_id=space.thread_id
            )
            post = catalog.post(
                "groups.posts.opened", topic=group.topic, why=group.why, members=named
            )
            outbox = await self._queue(uow, group, "opened", post, space)
        await self._app.delivery.deliver(outbox)
        log.info(
            "%s: group %d on %r opened for %d members",
            community.key,
            group.id,
            group.topic,
            len(members),
        )

    async def _thread_space(
        self, community: CommunityConfig, group: Group, members: Sequence[str], title: str
    ) -> ChannelRef | None:
        """Open a thread on an announcement in the proposal channel, where spaces cannot open."""
        where = ChannelRef(community=community.key, channel_id=group.proposal_channel_id)
        async with self._app.store.transaction() as uow:
            post = self._app.catalog(community.key).post(
                "groups.posts.opened_here",
                topic=group.topic,
                members=await mentions(uow, group.community_id, members),
            )
            outbox = await self._queue(uow, group, "opened-here", post, where)
        sent = await self._app.delivery.deliver(outbox)
        if sent is None:
            return None
        thread = await self._app.platform(community.key).open_thread(sent, title)
        return ChannelRef(
            community=community.key, channel_id=thread.channel_id, thread_id=thread.thread_id
        )

    async def _watch_silence(
        self, community: CommunityConfig, group: Group, last_post: datetime | None
    ) -> None:
        rules = community.section(GroupsConfig)
        now = self._app.clock.now()
        assert group.opened_at is not None
        last = max(last_post or group.opened_at, group.opened_at)
        space = space_of(community.key, group)
        assert space is not None
        if group.notice_at is not None and last > group.notice_at:
            async with self._app.store.transaction() as uow:
                await uow.repository(Groups).set(group.id, notice_at=None)
            return
        if group.notice_at is None:
            if now - last < timedelta(days=rules.silent_days):
                return
            async with self._app.store.transaction() as uow:
                await uow.repository(Groups).set(group.id, notice_at=now)
                post = self._app.catalog(community.key).post(
                    "groups.posts.silent",
                    topic=group.topic,
                    days=rules.silent_days,
                    archive_on=now + timedelta(days=rules.archive_after_notice_days),
                    timezone=community.timezone,
                )
                outbox = await self._queue(uow, group, f"silent:{last:%Y%m%dT%H%M%S}", post, space)
            await self._app.delivery.deliver(outbox)
            return
        if now - group.notice_at < timedelta(days=rules.archive_after_notice_days):
            return
        async with self._app.store.transaction() as uow:
            if not await uow.repository(Groups).move(group.id, "open", "archived", ended_at=now):
                return
        log.info(
            "%s: group %d on %r archived after its silence", community.key, group.id, group.topic
        )
        await self._archive(community, group)

    async def suggest(self, community_key: str) -> None:
        """Tell moderators, once per topic, of an interest many share that has no group."""
        community = self._app.communities[community_key]
        rules = community.section(GroupsConfig)
        where = self._app.channel_if_configured(community_key, "moderators")
        if not rules.enabled or where is None:
            return
        community_id = self._app.community_id(community_key)
        outbox: list[int] = []
        async with self._app.store.transaction() as uow:
            popular = await uow.repository(Groups).popular_interests(community_id, rules.suggest_at)
            for topic, count in popular:
                if not await uow.ledger.claim(f"groups:{community_key}:suggest:{topic}", EVER):
                    continue
                post = self._app.catalog(community_key).post(
                    "groups.posts.suggestion", topic=topic, count=count
                )
                outbox.append(
                    await self._app.delivery.enqueue(
                        uow,
                        community_id=community_id,
                        where=where,
                        post=post,
                        nonce=f"groups:{community_key}:suggest:{topic}",
                    )
                )
                await uow.ledger.finish(f"groups:{community_key}:suggest:{topic}", EVER, "done")
        for outbox_id in outbox:
            await self._app.delivery.deliver(outbox_id)

    # Helpers.

    async def _live(self, repo: Groups, community_id: int, group_id: int) -> Group:
        group = await repo.get(community_id, group_id)
        if group is None or group.status not in ("proposing", "open"):
            raise Refusal("unknown", group=group_id)
        if group.status == "proposing" and self._app.clock.now() >= group.deadline_at:
            raise Refusal("unknown", group=group_id)
        return group

    async def _add(self, community: CommunityConfig, group: Group, member_id: str) -> None:
        """Add a member to an open group's space and greet them there."""
        space = space_of(community.key, group)
        assert space is not None
        try:
            await self._app.platform(community.key).add_to_space(space, [member_id])
        except (Unsupported, Forbidden) as error:
            # A thread on a message (Slack) has no member list: the mention brings them in.
            log.info("%s: group %d: %s", community.key, group.id, error)
        now = self._app.clock.now()
        async with self._app.store.transaction() as uow:
            [mention] = await mentions(uow, group.community_id, [member_id])
            post = self._app.catalog(community.key).post(
                "groups.posts.joined", topic=group.topic, member=mention
            )
            outbox = await self._queue(
                uow, group, f"joined:{member_id}:{now:%Y%m%dT%H%M%S}", post, space
            )
        await self._app.delivery.deliver(outbox)

    async def _archive(self, community: CommunityConfig, group: Group) -> None:
        space = space_of(community.key, group)
        if space is None:
            return
        try:
            await self._app.platform(community.key).archive_space(space)
        except (Unsupported, Forbidden) as error:
            log.info("%s: group %d's space stays as it is: %s", community.key, group.id, error)

    async def _queue(
        self, uow: UnitOfWork, group: Group, step: str, post: Post, where: ChannelRef
    ) -> int:
        return await self._app.delivery.enqueue(
            uow,
            community_id=group.community_id,
            where=where,
            post=post,
            nonce=f"groups:{where.community}:{group.id}:{step}",
        )


async def mentions(uow: UnitOfWork, community_id: int, member_ids: Sequence[str]) -> list[Mention]:
    """Return mentions of members, by the names Terreau last saw them under."""
    found = []
    for member_id in member_ids:
        record = await uow.members.get(community_id, member_id)
        name = record.display_name if record is not None else member_id
        found.append(Mention(member_id=member_id, display_name=name))
    return found


def join_id(group_id: int) -> str:
    """Return the choice id of a proposal's Join button."""
    return f"groups:{group_id}:join"


def space_of(community_key: str, group: Group) -> ChannelRef | None:
    """Return where a group talks, if its space is open."""
    if group.space_channel_id is None:
        return None
    return ChannelRef(
        community=community_key, channel_id=group.space_channel_id, thread_id=group.space_thread_id
    )
