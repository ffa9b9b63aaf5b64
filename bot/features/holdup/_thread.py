"""A started hold-up's announcement and thread, each made once, whatever crashes between.

The announcement goes through the outbox with a nonce naming the hold-up, so
asking again returns the message already posted. The thread is opened beside it
(Discord: a public thread in the channel; Slack: a channel of its own) or, where
the platform cannot, on the announcement itself; it is recorded, with the
greeting queued, only if no other process recorded one first. A thread opened
beside the announcement is then named in it (an edit), so members find it. A crash between the
platform's answer and the recording can leave one unused thread behind, never a
hold-up without one: the next check opens it again.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from bot.config import CommunityConfig
from bot.domain import ChannelMention, ChannelRef, Post, SentMessage
from bot.features.holdup._rules import mention, queue
from bot.features.holdup._spaces import IdeaSpaces
from bot.ports import Forbidden, PlatformError, Unsupported
from bot.storage.boards import Boards
from bot.storage.holdups import Holdup, Holdups

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)


async def open_thread(
    app: FeatureContext, community: CommunityConfig, holdup: Holdup, spaces: IdeaSpaces
) -> None:
    """Announce a started hold-up, open its thread and greet it there (each once).

    The space recorded (by this call or another process) is noted in `spaces` once stored.
    """
    if holdup.space_channel_id is not None:
        return
    catalog = app.catalog(community.key)
    where = ChannelRef(community=community.key, channel_id=holdup.channel_id)
    async with app.store.transaction() as uow:
        requester = await mention(uow, holdup.community_id, holdup.requester_id)

        def announcement(space: ChannelMention | None) -> Post:
            return catalog.post(
                "holdup.posts.announced",
                requester=requester,
                problem=holdup.problem,
                voting_opens_at=holdup.voting_opens_at,
                closes_at=holdup.closes_at,
                timezone=community.timezone,
                space=space,
            )

        outbox = await queue(app, uow, holdup, "announced", announcement(None), where)
    sent = await app.delivery.deliver(outbox)
    if sent is None:
        return
    if holdup.announce_message_id is None:
        async with app.store.transaction() as uow:
            await uow.repository(Holdups).set(holdup.id, announce_message_id=sent.message_id)
    title = catalog.text("holdup.space_title", problem=holdup.problem)
    platform = app.platform(community.key)
    space: ChannelRef
    beside = True
    try:
        members = [holdup.requester_id] if holdup.requester_id else []
        space = await platform.open_space(where, title, members, private=False)
    except (Unsupported, Forbidden) as error:
        beside = False
        log.info("%s: hold-up %d talks under its announcement: %s", community.key, holdup.id, error)
        thread = await platform.open_thread(
            SentMessage(
                community=community.key, channel_id=sent.channel_id, message_id=sent.message_id
            ),
            title,
        )
        space = ChannelRef(
            community=community.key, channel_id=thread.channel_id, thread_id=thread.thread_id
        )
    recorded, greeting = await _record(app, community, holdup, space)
    if recorded is not None:
        spaces.opened(community.key, recorded)
    if greeting is not None:
        await app.delivery.deliver(greeting)
        if beside:
            # Posted before its space existed, the announcement now names it.
            named = ChannelMention(channel_id=space.thread_id or space.channel_id, name=title)
            try:
                await platform.update(sent, announcement(named))
            except PlatformError as error:
                log.info(
                    "%s: hold-up %d: announcement not edited: %s", community.key, holdup.id, error
                )


async def _record(
    app: FeatureContext, community: CommunityConfig, holdup: Holdup, space: ChannelRef
) -> tuple[Holdup | None, int | None]:
    """Record the space unless another process did first, queueing the greeting if ours.

    Return the hold-up as stored with its space, and the greeting's outbox id if queued.
    """
    async with app.store.transaction() as uow:
        repo = uow.repository(Holdups)
        current = await repo.get(holdup.community_id, holdup.id)
        if current is None or current.space_channel_id is not None:
            return current, None
        await repo.set(
            holdup.id, space_channel_id=space.channel_id, space_thread_id=space.thread_id
        )
        if holdup.board_id is not None:
            await uow.repository(Boards).set(
                holdup.board_id, channel_id=space.channel_id, thread_id=space.thread_id
            )
        post = app.catalog(community.key).post(
            "holdup.posts.opened",
            problem=holdup.problem,
            context=holdup.context,
            wanted=holdup.wanted,
            voting_opens_at=holdup.voting_opens_at,
            timezone=community.timezone,
            hidden=holdup.hide_authors,
            dots=holdup.dots,
        )
        outbox = await queue(app, uow, holdup, "opened", post, space)
    recorded = dataclasses.replace(
        current, space_channel_id=space.channel_id, space_thread_id=space.thread_id
    )
    return recorded, outbox
