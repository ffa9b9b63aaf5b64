"""Trivia rounds, their questions and answers."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import update as sql_update

from bot.storage._base import Repository
from bot.storage.games._records import (
    AnswerRecord,
    QuestionRecord,
    RoundRecord,
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


def _question(row: Any) -> QuestionRecord:
    m = row._mapping
    return QuestionRecord(
        id=m["id"],
        round_id=m["round_id"],
        community_id=m["community_id"],
        channel_id=m["channel_id"],
        position=m["position"],
        item_id=m["item_id"],
        content=dict(m["content"]),
        state=m["state"],
        opened_at=m["opened_at"],
        closes_at=m["closes_at"],
        closed_at=m["closed_at"],
    )


_QUESTION_COLUMNS = (
    *GameQuestionRow.__table__.c,
    _rounds.community_id,
    _rounds.channel_id,
)


class RoundQueries(Repository):
    """Rounds, questions and answers of every community."""

    # -- rounds and questions

    async def active_round(self, community_id: int, channel_id: str) -> int | None:
        """Return the id of the round running in a channel, if any."""
        stmt = select(_rounds.id).where(
            _rounds.community_id == community_id, _rounds.active_channel == channel_id
        )
        return (await self._connection.execute(stmt)).scalar_one_or_none()

    async def start_round(
        self,
        community_id: int,
        channel_id: str,
        *,
        category: str | None,
        started_by: str | None,
        questions: Sequence[tuple[str, dict[str, Any]]],
        at: datetime | None = None,
    ) -> int:
        """Store a running round and its questions (all pending); unique per channel."""
        stmt = (
            self._insert(GameRoundRow.__table__)
            .values(
                community_id=community_id,
                channel_id=channel_id,
                active_channel=channel_id,
                category=category,
                state="running",
                started_by=started_by,
                started_at=self._now(at),
            )
            .returning(_rounds.id)
        )
        round_id = int((await self._connection.execute(stmt)).scalar_one())
        for position, (item_id, content) in enumerate(questions):
            await self._connection.execute(
                self._insert(GameQuestionRow.__table__).values(
                    round_id=round_id,
                    position=position,
                    item_id=item_id,
                    content=content,
                    state="pending",
                )
            )
        return round_id

    async def round(self, round_id: int) -> RoundRecord | None:
        """Return a round, or None."""
        row = (
            await self._connection.execute(
                select(GameRoundRow.__table__).where(_rounds.id == round_id)
            )
        ).first()
        if row is None:
            return None
        m = row._mapping
        return RoundRecord(
            id=m["id"],
            community_id=m["community_id"],
            channel_id=m["channel_id"],
            category=m["category"],
            state=m["state"],
            started_by=m["started_by"],
            started_at=m["started_at"],
            finished_at=m["finished_at"],
        )

    async def finish_round(self, round_id: int, *, at: datetime | None = None) -> bool:
        """Mark a running round finished and free its channel; False if it was not running."""
        stmt = (
            sql_update(GameRoundRow)
            .where(_rounds.id == round_id, _rounds.state == "running")
            .values(state="finished", active_channel=None, finished_at=self._now(at))
            .returning(_rounds.id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def question(self, question_id: int) -> QuestionRecord | None:
        """Return a question with its round's community and channel, or None."""
        stmt = (
            select(*_QUESTION_COLUMNS)
            .join_from(GameQuestionRow, GameRoundRow, _questions.round_id == _rounds.id)
            .where(_questions.id == question_id)
        )
        row = (await self._connection.execute(stmt)).first()
        return None if row is None else _question(row)

    async def questions_of(self, round_id: int) -> list[QuestionRecord]:
        """Return the questions of a round in order."""
        stmt = (
            select(*_QUESTION_COLUMNS)
            .join_from(GameQuestionRow, GameRoundRow, _questions.round_id == _rounds.id)
            .where(_questions.round_id == round_id)
            .order_by(_questions.position)
        )
        return [_question(row) for row in await self._connection.execute(stmt)]

    async def open_question_in(self, community_id: int, channel_id: str) -> QuestionRecord | None:
        """Return the question open in a channel's running round, if any."""
        stmt = (
            select(*_QUESTION_COLUMNS)
            .join_from(GameQuestionRow, GameRoundRow, _questions.round_id == _rounds.id)
            .where(
                _rounds.community_id == community_id,
                _rounds.active_channel == channel_id,
                _questions.state == "open",
            )
        )
        row = (await self._connection.execute(stmt)).first()
        return None if row is None else _question(row)

    async def open_question(
        self, question_id: int, *, opened_at: datetime, closes_at: datetime
    ) -> bool:
        """Open a pending question until `closes_at`; False if it was not pending."""
        stmt = (
            sql_update(GameQuestionRow)
            .where(_questions.id == question_id, _questions.state == "pending")
            .values(state="open", opened_at=opened_at, closes_at=closes_at)
            .returning(_questions.id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def close_question(self, question_id: int, *, at: datetime | None = None) -> bool:
        """Close an open question; True only for the one caller that closed it."""
        stmt = (
            sql_update(GameQuestionRow)
            .where(_questions.id == question_id, _questions.state == "open")
            .values(state="closed", closed_at=self._now(at))
            .returning(_questions.id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def due_questions(self, community_ids: Sequence[int], now: datetime) -> list[int]:
        """Return the ids of open questions whose window has ended, oldest first."""
        if not community_ids:
            return []
        stmt = (
            select(_questions.id)
            .join_from(GameQuestionRow, GameRoundRow, _questions.round_id == _rounds.id)
            .where(
                _questions.state == "open",
                _questions.closes_at <= now,
                _rounds.community_id.in_(list(community_ids)),
            )
            .order_by(_questions.closes_at, _questions.id)
        )
        return list((await self._connection.execute(stmt)).scalars())

    async def next_question_closing(self, community_ids: Sequence[int]) -> datetime | None:
        """Return the earliest closing time of an open question, if any."""
        if not community_ids:
            return None
        stmt = (
            select(func.min(_questions.closes_at))
            .join_from(GameQuestionRow, GameRoundRow, _questions.round_id == _rounds.id)
            .where(_questions.state == "open", _rounds.community_id.in_(list(community_ids)))
        )
        value: datetime | None = (await self._connection.execute(stmt)).scalar_one_or_none()
        return value

    async def add_answer(
        self,
        question_id: int,
        member_id: str,
        display_name: str,
        answer: str,
        *,
        correct: bool,
        at: datetime | None = None,
    ) -> bool:
        """Record a member's answer; False if they had already answered this question."""
        stmt = (
            self._insert(GameAnswerRow.__table__)
            .values(
                question_id=question_id,
                member_id=member_id,
                display_name=display_name,
                answer=answer,
                correct=correct,
                answered_at=self._now(at),
            )
            .on_conflict_do_nothing(index_elements=[_answers.question_id, _answers.member_id])
            .returning(_answers.id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def answers(self, question_id: int) -> list[AnswerRecord]:
        """Return a question's answers in the order they arrived."""
        stmt = (
            select(GameAnswerRow.__table__)
            .where(_answers.question_id == question_id)
            .order_by(_answers.answered_at, _answers.id)
        )
        return [
            AnswerRecord(
                member_id=row.member_id,
                display_name=row.display_name,
                answer=row.answer,
                correct=row.correct,
                answered_at=row.answered_at,
            )
            for row in await self._connection.execute(stmt)
        ]
