"""Which games work: trivia rounds by category and polls by kind, from their answers and votes.

A trivia round counts as one use of each category it asked a question of (a
round started without a category mixes several); its answers to those questions
are that category's, and the time to the first answer runs from the question's
opening. A poll is one use of its kind: the content library's kind of poll it
asked (`this_or_that`), `own` for a poll a member wrote, `twotruths` for two truths
and a lie (the guesses are its votes), and `library` for a library poll opened
before the kind was recorded. A changed vote counts once, at the time of the
change. Members known as bots and the members the report excludes never count.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.analytics._scope import Scope, epoch
from bot.analytics._tallies import Answers, answered
from bot.storage.games import (
    GameAnswerRow,
    GamePollRow,
    GameQuestionRow,
    GameRoundRow,
    GameVoteRow,
)
from bot.storage.models import MemberRow

log = logging.getLogger(__name__)

_rounds = GameRoundRow.__table__.c
_questions = GameQuestionRow.__table__.c
_answers = GameAnswerRow.__table__.c
_polls = GamePollRow.__table__.c
_votes = GameVoteRow.__table__.c
_members = MemberRow.__table__.c

OWN = "own"
"""The poll kind of a poll a member wrote."""
LIBRARY = "library"
"""The poll kind of a library poll opened before its kind was recorded."""


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _counted(scope: Scope, member: ColumnElement[Any]) -> ColumnElement[bool]:
    """Return a condition true for members who count: not excluded, not known as a bot."""
    bot = exists(
        select(_members.member_id).where(
            _members.community_id == scope.community_id,
            _members.member_id == member,
            _members.is_bot.is_(True),
        )
    )
    return scope.keeps(member) & ~bot


async def trivia_uses(
    conn: AsyncConnection, scope: Scope, since: datetime, until: datetime
) -> tuple[int, dict[str, list[Answers]]]:
    """Return the rounds started in [since, until) and, per category, what each round drew."""
    held = (
        _rounds.community_id == scope.community_id,
        _rounds.started_at >= since,
        _rounds.started_at < until,
    )
    count = select(func.count()).select_from(GameRoundRow).where(*held)
    rounds = int((await conn.execute(count)).scalar_one())
    if not rounds:
        return 0, {}
    asked = (
        select(
            _questions.id, _rounds.id, _rounds.started_at, _questions.content, _questions.opened_at
        )
        .join_from(GameQuestionRow, GameRoundRow, _rounds.id == _questions.round_id)
        .where(*held, _questions.opened_at.is_not(None))
        .order_by(_rounds.started_at, _questions.position)
    )
    started: dict[int, datetime] = {}
    uses: dict[tuple[int, str], dict[str, tuple[int, float]]] = {}
    for _question, round_id, started_at, content, _opened_at in await conn.execute(asked):
        started[round_id] = _aware(started_at)
        uses.setdefault((round_id, str(content.get("category") or "")), {})
    # Each member's answers to a round's questions of one category, and how soon the
    # first came, summed in the database: a row per member and use, not per answer.
    category_of = func.coalesce(_questions.content["category"].as_string(), "")
    dialect = conn.dialect.name
    waited = epoch(dialect, _answers.answered_at) - epoch(dialect, _questions.opened_at)
    given = (
        select(_rounds.id, category_of, _answers.member_id, func.count(), func.min(waited))
        .join_from(GameAnswerRow, GameQuestionRow, _questions.id == _answers.question_id)
        .join(GameRoundRow, _rounds.id == _questions.round_id)
        .where(*held, _questions.opened_at.is_not(None), _counted(scope, _answers.member_id))
        .group_by(_rounds.id, category_of, _answers.member_id)
    )
    for round_id, answered_in, member, count, seconds in await conn.execute(given):
        members = uses.setdefault((round_id, str(answered_in)), {})
        members[str(member)] = (int(count), float(seconds) / 3600)
    drawn = await answered(
        conn,
        scope,
        [
            (started[round_id].date(), [(m, n, hours) for m, (n, hours) in sorted(members.items())])
            for (round_id, _category), members in uses.items()
        ],
    )
    by_category: dict[str, list[Answers]] = defaultdict(list)
    for (_round_id, category), answers in zip(uses, drawn, strict=True):
        by_category[category].append(answers)
    return rounds, dict(by_category)


def poll_kind(kind: str, content_kind: str | None, item_id: str | None) -> str:
    """Return the kind a poll is tallied under in the report."""
    if kind == "twotruths":
        return "twotruths"
    if content_kind is not None:
        return content_kind
    return LIBRARY if item_id is not None else OWN


async def poll_uses(
    conn: AsyncConnection, scope: Scope, since: datetime, until: datetime
) -> tuple[int, dict[str, list[Answers]]]:
    """Return the polls opened in [since, until) and, per kind, what each poll drew."""
    held = (
        _polls.community_id == scope.community_id,
        _polls.opened_at >= since,
        _polls.opened_at < until,
    )
    opened = select(
        _polls.id, _polls.kind, _polls.content_kind, _polls.item_id, _polls.opened_at
    ).where(*held)
    polls = {
        poll_id: (poll_kind(kind, content_kind, item_id), _aware(opened_at))
        for poll_id, kind, content_kind, item_id, opened_at in await conn.execute(opened)
    }
    if not polls:
        return 0, {}
    dialect = conn.dialect.name
    waited = epoch(dialect, _votes.voted_at) - epoch(dialect, _polls.opened_at)
    cast_votes = (
        select(_votes.poll_id, _votes.member_id, waited)
        .join_from(GameVoteRow, GamePollRow, _polls.id == _votes.poll_id)
        .where(*held, _counted(scope, _votes.member_id))
    )
    voters: dict[int, list[tuple[str, int, float]]] = defaultdict(list)
    for poll_id, member, seconds in await conn.execute(cast_votes):
        voters[poll_id].append((str(member), 1, float(seconds) / 3600))
    opened_in_order = sorted(polls.items())
    drawn = await answered(
        conn,
        scope,
        [
            (opened_at.date(), sorted(voters.get(poll_id, [])))
            for poll_id, (_, opened_at) in opened_in_order
        ],
    )
    by_kind: dict[str, list[Answers]] = defaultdict(list)
    for (_poll_id, (kind, _opened_at)), answers in zip(opened_in_order, drawn, strict=True):
        by_kind[kind].append(answers)
    return len(polls), dict(by_kind)
