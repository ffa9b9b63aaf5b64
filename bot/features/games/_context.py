"""What every game shares: content, config, posting through the outbox, scores, the log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.config import CommunityConfig
from bot.domain import ChannelRef, Post, SentMessage, post_from_dict
from bot.features.games._config import GamesConfig
from bot.features.games._library import GameContent
from bot.features.games._seasons import season_at
from bot.ports import PlatformError
from bot.storage import InteractionRow, NewScore, UnitOfWork

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

_MINUTE = timedelta(minutes=1)


def next_minute(moment: datetime) -> datetime:
    """Return `moment` rounded up to a whole minute (the game timer ticks each minute)."""
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + _MINUTE


class Deadlines:
    """The earliest stored closing time the timer waits for: a cache of the database.

    Each minute the timer asks `due(now)`; until something is due it touches no
    table. Games `note` a closing time once its transaction has committed; the
    earliest one is loaded from the database by whoever needs it first (the timer's
    first tick, or the first typed message after a start) and again after each of
    the timer's passes, keeping what was noted while it read.
    """

    def __init__(self) -> None:
        self._next: datetime | None = None
        self._noted: datetime | None = None
        self.loaded = False

    def note(self, moment: datetime) -> None:
        """Remember a closing time just stored."""
        self._next = moment if self._next is None else min(self._next, moment)
        self._noted = moment if self._noted is None else min(self._noted, moment)

    def reloading(self) -> None:
        """Start a reload: notes from now on survive the `reset` that ends it."""
        self._noted = None

    def reset(self, stored: datetime | None) -> None:
        """End a reload with the earliest closing time the database holds."""
        times = [moment for moment in (stored, self._noted) if moment is not None]
        self._next = min(times, default=None)
        self.loaded = True

    @property
    def idle(self) -> bool:
        """Return True when the database is known to hold nothing open."""
        return self.loaded and self._next is None

    def due(self, now: datetime) -> bool:
        """Return whether something may close at `now`."""
        return self._next is not None and self._next <= now


class GameContext:
    """The app services and per-community settings the games work with."""

    def __init__(self, app: FeatureContext, contents: Mapping[str, GameContent]) -> None:
        self.app = app
        self.contents = contents
        self.deadlines = Deadlines()
        self._loading = asyncio.Lock()

    @property
    def clock_now(self) -> datetime:
        """Return the injected clock's now."""
        return self.app.clock.now()

    def community(self, key: str) -> CommunityConfig:
        """Return a community's config."""
        return self.app.communities[key]

    def config(self, key: str) -> GamesConfig:
        """Return a community's games config."""
        return self.app.communities[key].section(GamesConfig)

    def enabled(self, key: str) -> bool:
        """Return whether games are on in a community this process serves."""
        community = self.app.communities.get(key)
        return community is not None and community.section(GamesConfig).enabled

    def typed_answers(self, key: str) -> bool:
        """Return whether members' typed answers reach Terreau in a community."""
        return self.app.settings.reads_member_text(self.community(key))

    def content(self, key: str) -> GameContent:
        """Return a community's trivia and polls."""
        return self.contents[key]

    def community_id(self, key: str) -> int:
        """Return a community's database id."""
        return self.app.community_id(key)

    def season(self, key: str, moment: datetime | None = None) -> str:
        """Return the label of the season a moment (default: now) falls in."""
        community = self.community(key)
        when = moment if moment is not None else self.clock_now
        return season_at(
            when, community.timezone, community.section(GamesConfig).season_months
        ).label

    def keys_by_id(self) -> dict[int, str]:
        """Return the keys of the communities with games on, by database id."""
        return {
            self.app.community_id(key): key
            for key, community in self.app.communities.items()
            if community.section(GamesConfig).enabled
        }

    async def reload_deadlines(self) -> None:
        """Read the earliest closing time stored, keeping what games note meanwhile."""
        async with self._loading:
            await self._read_deadlines()

    async def load_deadlines(self) -> None:
        """Read the earliest closing time once, if nobody has yet: a cheap no-op after."""
        if self.deadlines.loaded:
            return
        async with self._loading:
            if not self.deadlines.loaded:
                await self._read_deadlines()

    async def _read_deadlines(self) -> None:
        self.deadlines.reloading()
        ids = list(self.keys_by_id())
        async with self.app.store.read() as uow:
            questions = await uow.games.next_question_closing(ids)
            polls = await uow.games.next_poll_closing(ids)
        self.deadlines.reset(min((m for m in (questions, polls) if m is not None), default=None))

    async def queue(
        self, uow: UnitOfWork, key: str, channel_id: str, post: Post, nonce: str
    ) -> int:
        """Store a post in the outbox inside the caller's transaction; return its id."""
        return await self.app.delivery.enqueue(
            uow,
            community_id=self.community_id(key),
            where=ChannelRef(community=key, channel_id=channel_id),
            post=post,
            nonce=nonce,
        )

    async def send(self, outbox_ids: Sequence[int]) -> None:
        """Deliver queued posts in order (after their transaction committed)."""
        for outbox_id in outbox_ids:
            await self.app.delivery.deliver(outbox_id)

    async def retire_buttons(self, key: str, nonce: str) -> None:
        """Show a closed game's post again without its buttons (where the platform can)."""
        async with self.app.store.read() as uow:
            row = await uow.outbox.by_nonce(nonce)
        if row is None or row.message_id is None:
            return
        posted = post_from_dict(row.payload["post"])
        message = SentMessage(
            community=key,
            channel_id=row.channel_id,
            message_id=row.message_id,
            thread_id=row.sent_thread_id,
        )
        try:
            await self.app.platform(key).update(
                message, Post(text=posted.text, mentions=posted.mentions)
            )
        except PlatformError as error:
            log.info("%s: could not remove the buttons of %s: %s", key, nonce, error)

    async def score(
        self, uow: UnitOfWork, key: str, scores: Sequence[NewScore]
    ) -> list[InteractionRow]:
        """Record points in the current season; return the log rows of those recorded."""
        now = self.clock_now
        community_id = self.community_id(key)
        recorded = await uow.games.add_scores(community_id, self.season(key), scores, at=now)
        return [
            self.log_row(
                key,
                event_id=f"game:score:{score.source}:{score.reason}:{score.member_id}",
                member_id=score.member_id,
                member_name=score.display_name,
                meta={
                    "game": score.game,
                    "action": "score",
                    "source": score.source,
                    "reason": score.reason,
                    "points": score.points,
                },
            )
            for score in recorded
        ]

    def log_row(
        self,
        key: str,
        *,
        event_id: str,
        member_id: str,
        member_name: str,
        meta: Mapping[str, Any],
        channel_id: str | None = None,
    ) -> InteractionRow:
        """Return an interaction log row of kind `game` (answers, votes, score changes)."""
        return InteractionRow(
            community_id=self.community_id(key),
            event_id=event_id,
            kind="game",
            occurred_at=self.clock_now.astimezone(UTC),
            channel_id=channel_id,
            member_id=member_id,
            meta=dict(meta),
            member_name=member_name,
        )

    async def log(self, rows: Sequence[InteractionRow]) -> None:
        """Append rows to the interaction log (through the batched writer)."""
        for row in rows:
            await self.app.record(row)
