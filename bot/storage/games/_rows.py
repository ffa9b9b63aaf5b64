"""The games tables: rounds, questions, answers, polls, votes and scores."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, community_fk, one_of

log = logging.getLogger(__name__)

ROUND_STATES = ("running", "finished")
QUESTION_STATES = ("pending", "open", "closed")
POLL_KINDS = ("poll", "twotruths")
POLL_STATES = ("open", "closed")


class GameRoundRow(Base):
    """A trivia round: N questions asked one after the other in one channel."""

    __tablename__ = "game_rounds"
    __table_args__ = (
        UniqueConstraint("community_id", "active_channel"),
        CheckConstraint(one_of("state", ROUND_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    channel_id: Mapped[str]
    active_channel: Mapped[str | None]
    category: Mapped[str | None]
    state: Mapped[str] = mapped_column(String(16))
    started_by: Mapped[str | None]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class GameQuestionRow(Base):
    """One question of a round, with a snapshot of its content and its answer window."""

    __tablename__ = "game_questions"
    __table_args__ = (
        UniqueConstraint("round_id", "position"),
        CheckConstraint(one_of("state", QUESTION_STATES), name="state"),
        Index("ix_game_questions_state_closes", "state", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("game_rounds.id", ondelete="CASCADE"))
    position: Mapped[int]
    item_id: Mapped[str]
    content: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class GameAnswerRow(Base):
    """A member's one answer to a question."""

    __tablename__ = "game_answers"
    __table_args__ = (UniqueConstraint("question_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("game_questions.id", ondelete="CASCADE"))
    member_id: Mapped[str]
    display_name: Mapped[str]
    answer: Mapped[str]
    correct: Mapped[bool]
    answered_at: Mapped[datetime]


class GamePollRow(Base):
    """A quick poll, or a two truths and a lie (whose `lie` is the index of the lie)."""

    __tablename__ = "game_polls"
    __table_args__ = (
        CheckConstraint(one_of("kind", POLL_KINDS), name="kind"),
        CheckConstraint(one_of("state", POLL_STATES), name="state"),
        Index("ix_game_polls_state_closes", "state", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    kind: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str]
    question: Mapped[str | None]
    options: Mapped[dict[str, Any]]
    item_id: Mapped[str | None]
    # The kind of the content library's poll it asks (`this_or_that`), for the report.
    content_kind: Mapped[str | None]
    author_id: Mapped[str | None]
    author_name: Mapped[str | None]
    lie: Mapped[int | None]
    state: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime]
    closes_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class GameVoteRow(Base):
    """A member's vote in a poll (changeable until it closes) or a guess at the lie."""

    __tablename__ = "game_votes"
    __table_args__ = (UniqueConstraint("poll_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("game_polls.id", ondelete="CASCADE"))
    member_id: Mapped[str]
    display_name: Mapped[str]
    option: Mapped[int]
    voted_at: Mapped[datetime]


class GameScoreRow(Base):
    """Points won, once per (source, member, reason), in the season of the moment won."""

    __tablename__ = "game_scores"
    __table_args__ = (
        UniqueConstraint("community_id", "source", "member_id", "reason"),
        Index("ix_game_scores_community_season", "community_id", "season"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    member_id: Mapped[str]
    display_name: Mapped[str]
    season: Mapped[str] = mapped_column(String(16))
    game: Mapped[str] = mapped_column(String(16))
    source: Mapped[str]
    reason: Mapped[str] = mapped_column(String(16))
    points: Mapped[int]
    scored_at: Mapped[datetime]
