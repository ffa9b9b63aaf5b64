"""Ideas and dots: what members bring to a running hold-up, and how they vote on it.

An idea goes on the hold-up's board with the command (posted in the thread
without its author's name when authors are hidden) or as a message written in
the thread (not a reply: replies discuss); the threads gathering ideas are kept
in memory (`_spaces`), so a message elsewhere costs no query. Dots follow the
board's rules, applied inside the transaction that holds the board: never on
one's own idea, never more than the hold-up's dots in all, so two dots at once
cannot overspend. A button
gives one more dot; the command says how many dots an idea holds (0 takes them
back). A click delivered twice is dropped by the dispatcher, before it counts.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.config import CommunityConfig
from bot.domain import ChoiceMade, Member, MessagePosted, strip_markers
from bot.features._board import parse_vote_id
from bot.features.holdup._config import HoldupConfig
from bot.features.holdup._life import HoldupLife
from bot.features.holdup._rules import MAX_TEXT, Refusal, space_of
from bot.storage.boards import Boards, Vote
from bot.storage.holdups import Holdup, Holdups

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)


def cleaned(text: str) -> str:
    """Return member text as kept: no marker characters, trimmed, cut at `MAX_TEXT`."""
    return strip_markers(text).strip()[:MAX_TEXT]


class Contributions:
    """Adds ideas and dots to the running hold-ups of every community."""

    def __init__(self, app: FeatureContext, life: HoldupLife) -> None:
        self._app = app
        self._life = life

    async def target(self, community: CommunityConfig, channel_id: str, status: str) -> Holdup:
        """Return the hold-up a command means: the one whose thread it is in, or the only one."""
        community_id = self._app.community_id(community.key)
        async with self._app.store.read() as uow:
            repo = uow.repository(Holdups)
            here = await repo.in_space(community_id, channel_id, None)
            running = await repo.listed(community_id, (status,))
        refusal = "no_ideas" if status == "ideas" else "no_vote"
        if here is not None:
            if here.status != status:
                raise Refusal(refusal)
            return here
        if not running:
            raise Refusal(refusal)
        if len(running) > 1:
            raise Refusal("which", problems=[h.problem for h in running])
        return running[0]

    async def idea(
        self, community: CommunityConfig, member: Member, channel_id: str, text: str
    ) -> tuple[Holdup, int]:
        """Add a member's idea to the hold-up they mean and post it in its thread."""
        holdup = await self.target(community, channel_id, "ideas")
        number = await self._add(community, holdup, member.id, text, show=True)
        if number is None:
            raise Refusal("no_ideas")
        return holdup, number

    def serves(self, community_key: str) -> bool:
        """Return whether hold-ups are on in a community (its messages reach `on_message`)."""
        community = self._app.communities.get(community_key)
        return community is not None and community.section(HoldupConfig).enabled

    async def on_message(self, event: MessagePosted) -> None:
        """Take a message written in a hold-up's thread while it gathers ideas as an idea."""
        if not self.serves(event.community):
            return
        community = self._app.communities[event.community]
        if not event.text or event.reply_to is not None or event.member.is_bot:
            return
        spaces = self._life.spaces
        if not await spaces.may_hold(event.community, event.channel_id, event.thread_id):
            return  # in no hold-up's space: no query
        text = cleaned(event.text)
        community_id = self._app.known_community_id(event.community)
        if not text or community_id is None:
            return
        async with self._app.store.read() as uow:
            holdup = await uow.repository(Holdups).in_space(
                community_id, event.channel_id, event.thread_id
            )
        if holdup is not None and holdup.status != "ideas":
            spaces.closed(community.key, holdup)  # its ideas ended in another process
        if holdup is None or holdup.status != "ideas" or holdup.requester_id == event.member.id:
            return
        await self._life.advance(community.key)
        await self._add(community, holdup, event.member.id, text, show=False)

    async def _add(
        self, community: CommunityConfig, holdup: Holdup, member_id: str, text: str, *, show: bool
    ) -> int | None:
        assert holdup.board_id is not None
        outbox = None
        async with self._app.store.transaction() as uow:
            boards = uow.repository(Boards)
            board = await boards.get(holdup.community_id, holdup.board_id)
            current = await uow.repository(Holdups).get(holdup.community_id, holdup.id)
            if board is None or current is None or current.status != "ideas":
                return None
            item = await boards.add_item(board, member_id, text, anonymous=holdup.anonymous)
            if item is None:
                return None
            space = space_of(community.key, current)
            if show and space is not None:
                author = None
                if not holdup.hide_authors:
                    record = await uow.members.get(holdup.community_id, member_id)
                    author = record.display_name if record is not None else member_id
                post = self._app.catalog(community.key).post(
                    "holdup.posts.idea", number=item.number, text=text, author=author
                )
                outbox = await self._app.delivery.enqueue(
                    uow,
                    community_id=holdup.community_id,
                    where=space,
                    post=post,
                    nonce=f"holdup:{community.key}:{holdup.id}:idea:{item.number}",
                )
        if outbox is not None:
            await self._app.delivery.deliver(outbox)
        return item.number

    async def dot(
        self,
        community: CommunityConfig,
        member: Member,
        channel_id: str,
        number: int,
        points: int,
    ) -> tuple[int, int]:
        """Put `points` of a member's dots on idea `number`; return them and the dots left."""
        holdup = await self.target(community, channel_id, "voting")
        return await self._dot(holdup, member.id, number, points=points)

    async def on_choice(self, event: ChoiceMade) -> None:
        """Handle a click on a Dot button: one more dot on that idea."""
        community = self._app.communities.get(event.community)
        parsed = parse_vote_id(event.choice_id)
        if community is None or parsed is None:
            await self._app.reply(event, "messages.choices.expired")
            return
        board_id, number = parsed
        try:
            if not community.section(HoldupConfig).enabled:
                raise Refusal("disabled")
            await self._life.advance(community.key)
            async with self._app.store.read() as uow:
                holdup = await uow.repository(Holdups).of_board(board_id)
            mine = holdup is not None and holdup.community_id == self._app.community_id(
                community.key
            )
            if holdup is None or not mine or holdup.status != "voting":
                raise Refusal("no_vote")
            points, left = await self._dot(holdup, event.member.id, number, points=None)
        except Refusal as refusal:
            await self._app.reply(event, refusal.key, private=True, **refusal.variables)
            return
        await self._app.reply(event, "holdup.dotted", points=points, number=number, left=left)

    async def _dot(
        self, holdup: Holdup, member_id: str, number: int, *, points: int | None
    ) -> tuple[int, int]:
        """Set (or, with None, add one to) a member's dots on an idea, by the board's rules."""
        assert holdup.board_id is not None
        async with self._app.store.transaction() as uow:
            boards = uow.repository(Boards)
            board = await boards.get(holdup.community_id, holdup.board_id, lock=True)
            if board is None:
                raise Refusal("no_vote")
            item = await boards.item(board.id, number)
            if item is None or item.status != "open":
                raise Refusal("unknown_idea", number=number, problem=holdup.problem)
            before = await boards.points_of(board.id, number, member_id)
            wanted = before + 1 if points is None else points
            spent = await boards.spent(board.id, member_id)
            if wanted == 0:
                await boards.unvote(board, number, member_id)
                return 0, holdup.dots - (spent - before)
            outcome = await boards.vote(board, number, member_id, wanted)
            if outcome is Vote.OWN:
                raise Refusal("own_idea", number=number)
            if outcome in (Vote.BUDGET, Vote.TOO_MANY):
                left = holdup.dots - (spent - before)
                raise Refusal("over_budget", left=left, points=wanted)
            if outcome is Vote.CLOSED:
                raise Refusal("no_vote")
            if outcome is Vote.MISSING:
                raise Refusal("unknown_idea", number=number, problem=holdup.problem)
            return wanted, holdup.dots - (spent - before + wanted)
