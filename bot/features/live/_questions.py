"""Questions during a session: asked, upvoted, queued for the host, taken, answered, merged.

The rules live in the board's storage (one upvote each, never on one's own
question, only while the session is open); this module finds the session a
command is about and says what happened. A question is posted in the session's
channel with its upvote button; its text is the member's, shown as typed.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from bot.commands import is_moderator
from bot.config import CommunityConfig
from bot.domain import Choice, Member, Mention
from bot.features._board import VOTE_PROMPTS, authors, entries, top, vote_id
from bot.features.live._sessions import Refusal, where
from bot.storage.boards import Board, Boards, Item
from bot.storage.live import KIND, LiveSessions

if TYPE_CHECKING:
    from bot.feature import FeatureContext


class Questions:
    """Asking, voting, and the host's queue of every open session."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app

    async def current(
        self, community: CommunityConfig, member: Member, channel_id: str, *, host: bool
    ) -> Board:
        """Return the open session a command is about: the one in the channel, else the only one.

        With `host`, only sessions the member hosts count (all of them for moderators).
        """
        community_id = self._app.community_id(community.key)
        async with self._app.store.read() as uow:
            boards = await uow.repository(Boards).of_kind(community_id, KIND, ("open",))
            if not boards:
                raise Refusal("none_open")
            if host and not is_moderator(member, community.moderator_roles):
                lives = uow.repository(LiveSessions)
                boards = [b for b in boards if member.id in await lives.attendees(b.id, "host")]
                if not boards:
                    raise Refusal("hosts_only")
        here = [b for b in boards if b.channel_id == channel_id]
        return (here or boards)[0]

    async def ask(
        self,
        board: Board,
        community: CommunityConfig,
        member: Member,
        text: str,
        *,
        anonymous: bool,
    ) -> Item:
        """Add a question and post it in the session's channel with its upvote button."""
        catalog = self._app.catalog(community.key)
        async with self._app.store.transaction() as uow:
            item = await uow.repository(Boards).add_item(
                board, member.id, text, anonymous=anonymous
            )
            if item is None:
                raise Refusal("none_open")
            author = (
                None
                if anonymous
                else Mention(member_id=member.id, display_name=member.display_name)
            )
            post = catalog.post(
                "live.posts.question", number=item.number, question=text, author=author
            )
            label = catalog.text("live.upvote_label")
            post = dataclasses.replace(
                post, choices=(Choice(id=vote_id("live", board.id, item.number), label=label),)
            )
            outbox = await self._app.delivery.enqueue(
                uow,
                community_id=board.community_id,
                where=where(community.key, board),
                post=post,
                nonce=f"live:{community.key}:{board.id}:question:{item.number}",
            )
        await self._app.delivery.deliver(outbox)
        return item

    async def vote(self, community: CommunityConfig, board_id: int, number: int, voter: str) -> str:
        """Upvote a question; return the prompt key answering the voter."""
        community_id = self._app.community_id(community.key)
        async with self._app.store.transaction() as uow:
            repo = uow.repository(Boards)
            board = await repo.get(community_id, board_id)
            if board is None or board.kind != KIND:
                raise Refusal("none_open")
            outcome = await repo.vote(board, number, voter)
        return f"live.{VOTE_PROMPTS[outcome]}"

    async def queue(self, community: CommunityConfig, board: Board) -> list[dict[str, object]]:
        """Return the open questions, ranked, as the queue template shows them."""
        async with self._app.store.read() as uow:
            ranked = await uow.repository(Boards).ranked(board.id)
            names = await authors(uow, board.community_id, ranked)
        return entries(ranked, names, reveal=False)

    async def next(self, community: CommunityConfig, board: Board) -> Item:
        """Mark the question being answered as answered, take the next and post it."""
        catalog = self._app.catalog(community.key)
        async with self._app.store.transaction() as uow:
            repo = uow.repository(Boards)
            ranked = await repo.ranked(board.id)
            for item in ranked:
                if item.taken_at is not None:
                    await repo.mark(item)
            chosen = top(ranked)
            if chosen is None or not await repo.take(chosen):
                raise Refusal("queue_empty")
            names = await authors(uow, board.community_id, [chosen])
            [entry] = entries([chosen], names, reveal=False)
            post = catalog.post("live.posts.answering", question=entry)
            outbox = await self._app.delivery.enqueue(
                uow,
                community_id=board.community_id,
                where=where(community.key, board),
                post=post,
                nonce=f"live:{community.key}:{board.id}:answering:{chosen.number}",
            )
        await self._app.delivery.deliver(outbox)
        return chosen

    async def answered(self, board: Board, number: int) -> Item:
        """Mark an open question answered."""
        async with self._app.store.transaction() as uow:
            repo = uow.repository(Boards)
            item = await repo.item(board.id, number)
            if item is None or item.status != "open":
                raise Refusal("not_open", number=number)
            await repo.mark(item)
        return item

    async def merge(self, board: Board, number: int, into: int) -> Item:
        """Merge a duplicate question into another; its upvotes follow where they may."""
        async with self._app.store.transaction() as uow:
            repo = uow.repository(Boards)
            duplicate, kept = await repo.item(board.id, number), await repo.item(board.id, into)
            if duplicate is None or duplicate.status != "open":
                raise Refusal("not_open", number=number)
            if kept is None or kept.status != "open":
                raise Refusal("not_open", number=into)
            if not await repo.merge(duplicate, kept):
                raise Refusal("same_question", number=number)
            merged = await repo.item(board.id, into)
        assert merged is not None
        return merged
