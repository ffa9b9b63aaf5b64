"""A member's own game records, for their data requests: answers, votes, games they ran.

Answers and votes carry no `community_id`: they belong to a community through their
question's round or their poll, so these queries join to it.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, delete, func, select, update

from bot.storage._base import Repository
from bot.storage.games._rows import (
    GameAnswerRow,
    GamePollRow,
    GameQuestionRow,
    GameRoundRow,
    GameVoteRow,
)

log = logging.getLogger(__name__)

GameData = Literal["answers", "votes", "hosted"]
"""Trivia answers; poll votes and guesses at a lie; rounds started and two truths told."""

_rounds = GameRoundRow.__table__.c
_questions = GameQuestionRow.__table__.c
_answers = GameAnswerRow.__table__.c
_polls = GamePollRow.__table__.c
_votes = GameVoteRow.__table__.c


def _answers_of(community_id: int, member_id: str) -> ColumnElement[bool]:
    questions = (
        select(_questions.id)
        .join_from(GameQuestionRow, GameRoundRow, _questions.round_id == _rounds.id)
        .where(_rounds.community_id == community_id)
    )
    return and_(_answers.member_id == member_id, _answers.question_id.in_(questions))


def _votes_of(community_id: int, member_id: str) -> ColumnElement[bool]:
    polls = select(_polls.id).where(_polls.community_id == community_id)
    return and_(_votes.member_id == member_id, _votes.poll_id.in_(polls))


def _rounds_of(community_id: int, member_id: str) -> ColumnElement[bool]:
    return and_(_rounds.community_id == community_id, _rounds.started_by == member_id)


def _polls_of(community_id: int, member_id: str) -> ColumnElement[bool]:
    return and_(_polls.community_id == community_id, _polls.author_id == member_id)


def _item(items: list[str], index: int | None) -> str | None:
    return items[index] if index is not None and 0 <= index < len(items) else None


class PersonalQueries(Repository):
    """Count, export and erase one member's game records in one community."""

    async def count_member_data(self, what: GameData, community_id: int, member_id: str) -> int:
        """Return how many records of `what` are about the member."""
        if what == "hosted":
            rounds = await self._count(GameRoundRow, _rounds_of(community_id, member_id))
            return rounds + await self._count(GamePollRow, _polls_of(community_id, member_id))
        if what == "answers":
            return await self._count(GameAnswerRow, _answers_of(community_id, member_id))
        return await self._count(GameVoteRow, _votes_of(community_id, member_id))

    async def member_data(
        self, what: GameData, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return the member's records of `what`, JSON-ready, oldest first."""
        if what == "answers":
            return await self._answer_rows(community_id, member_id)
        if what == "votes":
            return await self._vote_rows(community_id, member_id)
        return await self._hosted_rows(community_id, member_id)

    async def erase_member_data(self, what: GameData, community_id: int, member_id: str) -> int:
        """Erase the member's records of `what`; return how many went or changed.

        Answers and votes are deleted. Of the games they ran, a trivia round forgets
        who started it, and a two truths and a lie (their own statements) is deleted
        with the guesses made on it; points already won by others stay.
        """
        if what == "answers":
            stmt = delete(GameAnswerRow).where(_answers_of(community_id, member_id))
            return (await self._connection.execute(stmt)).rowcount
        if what == "votes":
            stmt = delete(GameVoteRow).where(_votes_of(community_id, member_id))
            return (await self._connection.execute(stmt)).rowcount
        rounds = await self._connection.execute(
            update(GameRoundRow).where(_rounds_of(community_id, member_id)).values(started_by=None)
        )
        polls = await self._connection.execute(
            delete(GamePollRow).where(_polls_of(community_id, member_id))
        )
        return rounds.rowcount + polls.rowcount

    async def _count(self, model: type[Any], condition: ColumnElement[bool]) -> int:
        stmt = select(func.count()).select_from(model).where(condition)
        return int((await self._connection.execute(stmt)).scalar_one())

    async def _answer_rows(self, community_id: int, member_id: str) -> list[dict[str, Any]]:
        stmt = (
            select(
                _questions.round_id,
                _questions.content,
                _answers.display_name,
                _answers.answer,
                _answers.correct,
                _answers.answered_at,
            )
            .join_from(GameAnswerRow, GameQuestionRow, _answers.question_id == _questions.id)
            .where(_answers_of(community_id, member_id))
            .order_by(_answers.answered_at, _answers.id)
        )
        return [
            {
                "round": row.round_id,
                "question": dict(row.content).get("question"),
                "display_name": row.display_name,
                "answer": row.answer,
                "correct": row.correct,
                "answered_at": row.answered_at.isoformat(),
            }
            for row in await self._connection.execute(stmt)
        ]

    async def _vote_rows(self, community_id: int, member_id: str) -> list[dict[str, Any]]:
        stmt = (
            select(
                _polls.id,
                _polls.kind,
                _polls.question,
                _polls.options,
                _votes.display_name,
                _votes.option,
                _votes.voted_at,
            )
            .join_from(GameVoteRow, GamePollRow, _votes.poll_id == _polls.id)
            .where(_votes_of(community_id, member_id))
            .order_by(_votes.voted_at, _votes.id)
        )
        return [
            {
                "game": row.kind,
                "poll": row.id,
                "question": row.question,
                "display_name": row.display_name,
                "choice": _item(list(row.options["items"]), row.option),
                "voted_at": row.voted_at.isoformat(),
            }
            for row in await self._connection.execute(stmt)
        ]

    async def _hosted_rows(self, community_id: int, member_id: str) -> list[dict[str, Any]]:
        rounds = select(_rounds.id, _rounds.category, _rounds.started_at).where(
            _rounds_of(community_id, member_id)
        )
        polls = select(
            _polls.id, _polls.kind, _polls.options, _polls.lie, _polls.author_name, _polls.opened_at
        ).where(_polls_of(community_id, member_id))
        hosted: list[dict[str, Any]] = [
            {
                "game": "trivia",
                "round": row.id,
                "category": row.category,
                "started_at": row.started_at.isoformat(),
            }
            for row in await self._connection.execute(rounds.order_by(_rounds.id))
        ]
        for row in await self._connection.execute(polls.order_by(_polls.id)):
            items = list(row.options["items"])
            hosted.append(
                {
                    "game": row.kind,
                    "poll": row.id,
                    "display_name": row.author_name,
                    "statements": items,
                    "lie": _item(items, row.lie),
                    "started_at": row.opened_at.isoformat(),
                }
            )
        return hosted
