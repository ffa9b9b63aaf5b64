"""Polls and two truths and a lie, with their votes."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import update as sql_update

from bot.storage._base import Repository
from bot.storage.games._records import (
    PollRecord,
    VoteRecord,
)
from bot.storage.games._rows import (
    GameAnswerRow,
    GamePollRow,
    GameQuestionRow,
    GameRoundRow,
    GameScoreRow,
    GameVoteRow,
)

log = logging.getLogger(__name__)

_rounds = GameRoundRow.__table__.c
_questions = GameQuestionRow.__table__.c
_answers = GameAnswerRow.__table__.c
_polls = GamePollRow.__table__.c
_votes = GameVoteRow.__table__.c
_scores = GameScoreRow.__table__.c


def _poll(row: Any) -> PollRecord:
    m = row._mapping
    return PollRecord(
        id=m["id"],
        community_id=m["community_id"],
        kind=m["kind"],
        channel_id=m["channel_id"],
        question=m["question"],
        options=tuple(m["options"]["items"]),
        item_id=m["item_id"],
        author_id=m["author_id"],
        author_name=m["author_name"],
        lie=m["lie"],
        state=m["state"],
        opened_at=m["opened_at"],
        closes_at=m["closes_at"],
        closed_at=m["closed_at"],
    )


class PollQueries(Repository):
    """Polls and their votes."""

    # -- polls and two truths

    async def add_poll(
        self,
        community_id: int,
        *,
        kind: str,
        channel_id: str,
        question: str | None,
        options: Sequence[str],
        closes_at: datetime | None,
        item_id: str | None = None,
        content_kind: str | None = None,
        author: tuple[str, str] | None = None,
        lie: int | None = None,
        at: datetime | None = None,
    ) -> int:
        """Store an open poll (or two truths and a lie) and return its id.

        `item_id` and `content_kind` name the content library's poll it asks, if any.
        """
        stmt = (
            self._insert(GamePollRow.__table__)
            .values(
                community_id=community_id,
                kind=kind,
                channel_id=channel_id,
                question=question,
                options={"items": list(options)},
                item_id=item_id,
                content_kind=content_kind,
                author_id=None if author is None else author[0],
                author_name=None if author is None else author[1],
                lie=lie,
                state="open",
                opened_at=self._now(at),
                closes_at=closes_at,
            )
            .returning(_polls.id)
        )
        return int((await self._connection.execute(stmt)).scalar_one())

    async def poll(self, poll_id: int) -> PollRecord | None:
        """Return a poll, or None."""
        stmt = select(GamePollRow.__table__).where(_polls.id == poll_id)
        row = (await self._connection.execute(stmt)).first()
        return None if row is None else _poll(row)

    async def close_poll(self, poll_id: int, *, at: datetime | None = None) -> bool:
        """Close an open poll; True only for the one caller that closed it."""
        stmt = (
            sql_update(GamePollRow)
            .where(_polls.id == poll_id, _polls.state == "open")
            .values(state="closed", closed_at=self._now(at))
            .returning(_polls.id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def due_polls(self, community_ids: Sequence[int], now: datetime) -> list[int]:
        """Return the ids of open polls whose closing time has come, oldest first."""
        if not community_ids:
            return []
        stmt = (
            select(_polls.id)
            .where(
                _polls.state == "open",
                _polls.closes_at <= now,
                _polls.community_id.in_(list(community_ids)),
            )
            .order_by(_polls.closes_at, _polls.id)
        )
        return list((await self._connection.execute(stmt)).scalars())

    async def next_poll_closing(self, community_ids: Sequence[int]) -> datetime | None:
        """Return the earliest closing time of an open poll, if any."""
        if not community_ids:
            return None
        stmt = select(func.min(_polls.closes_at)).where(
            _polls.state == "open", _polls.community_id.in_(list(community_ids))
        )
        value: datetime | None = (await self._connection.execute(stmt)).scalar_one_or_none()
        return value

    async def vote(
        self,
        poll_id: int,
        member_id: str,
        display_name: str,
        option: int,
        *,
        change: bool,
        at: datetime | None = None,
    ) -> bool:
        """Record a vote (replacing an earlier one when `change`); False if one stood."""
        insert = self._insert(GameVoteRow.__table__).values(
            poll_id=poll_id,
            member_id=member_id,
            display_name=display_name,
            option=option,
            voted_at=self._now(at),
        )
        conflict = [_votes.poll_id, _votes.member_id]
        if change:
            stmt = insert.on_conflict_do_update(
                index_elements=conflict,
                set_={"option": insert.excluded.option, "voted_at": insert.excluded.voted_at},
            )
        else:
            stmt = insert.on_conflict_do_nothing(index_elements=conflict)
        return (await self._connection.execute(stmt.returning(_votes.id))).first() is not None

    async def votes(self, poll_id: int) -> list[VoteRecord]:
        """Return a poll's votes in the order they were cast."""
        stmt = (
            select(GameVoteRow.__table__)
            .where(_votes.poll_id == poll_id)
            .order_by(_votes.voted_at, _votes.id)
        )
        return [
            VoteRecord(
                member_id=row.member_id,
                display_name=row.display_name,
                option=row.option,
                voted_at=row.voted_at,
            )
            for row in await self._connection.execute(stmt)
        ]
