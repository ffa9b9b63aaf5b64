"""Indexes the analytics reports read through: questions, threads and days of activity.

They live on tables of the core (the interaction log and the daily rollups), declared
here so the report feature stays in its own files; importing `bot.storage` attaches
them to the models' metadata, which the migrations are checked against.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage._statements import ROLLUP_KINDS
from bot.storage.models import ActivityDailyRow, Base, InteractionLogRow

QUESTION_ROWS = "target = 'question'"
"""The condition of the partial index of questions; queries must repeat it literally."""

CHOICE_ROWS = "kind = 'choice'"
"""The condition of the partial index of button clicks; queries must repeat it literally."""

questions_index = Index(
    "ix_interactions_community_questions",
    *(
        InteractionLogRow.__table__.c[name]
        for name in ("community_id", "occurred_at", "message_id", "channel_id", "member_id")
    ),
    sqlite_where=text(QUESTION_ROWS),
    postgresql_where=text(QUESTION_ROWS),
)
"""Members' top-level questions by time (a small slice of the log), covering what a
report reads of them, so listing 100,000 questions never touches the table."""

threads_index = Index(
    "ix_interactions_community_thread",
    InteractionLogRow.__table__.c.community_id,
    InteractionLogRow.__table__.c.thread_id,
    InteractionLogRow.__table__.c.occurred_at,
    sqlite_where=text("thread_id IS NOT NULL"),
    postgresql_where=text("thread_id IS NOT NULL"),
)
"""Messages posted in threads, to find the first answer to a question quickly."""

choices_index = Index(
    "ix_interactions_community_choices",
    InteractionLogRow.__table__.c.community_id,
    InteractionLogRow.__table__.c.occurred_at,
    sqlite_where=text(CHOICE_ROWS),
    postgresql_where=text(CHOICE_ROWS),
)
"""Button clicks of a community by time, to count who took part in games and votes."""

activity_days_index = Index(
    "ix_activity_daily_community_day",
    *(
        ActivityDailyRow.__table__.c[name]
        for name in (
            "community_id",
            "day",
            "member_id",
            "messages",
            "replies",
            "reactions",
            "other",
        )
    ),
)
"""The daily rollups of a community by day, covering every column a report reads.

Covering: a report over 90 days reads index entries in order and never the table,
about ten times faster on SQLite than a (community_id, day) index.
"""


class QuestionAnswerRow(Base):
    """When a question of the log got its first answer, once a report has found it.

    Finding a first answer costs two index lookups and a read of the log row per
    question; a report stores what it found, answer or none, so the next one reads a
    question's answer here and looks for answers to the unanswered ones only among the
    log rows written since.
    Derived from the log only: erasing a member or purging old rows clears the
    affected rows, and a later report finds them again from what the log keeps.
    """

    __tablename__ = "question_answers"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    message_id: Mapped[str] = mapped_column(primary_key=True)
    asked_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    """None while no answer is known: the question was looked up and had none."""
    asked_hour: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    """Whole hours since 1970-01-01 00:00 UTC when it was asked (for the heatmap)."""
    waited: Mapped[float | None] = mapped_column(Float)
    """Seconds from the question to its first answer: reports read numbers, not dates."""
    channel_id: Mapped[str | None]
    member_id: Mapped[str | None]
    """Where and by whom it was asked, as the log says: a report's scope filters here."""

    __table_args__ = (
        # A period's answers are read by when they were asked, with no visit to the log;
        # the index holds what the figures read.
        Index(
            "ix_question_answers_community_asked",
            "community_id",
            "asked_at",
            "asked_hour",
            "waited",
        ),
    )


class AnswerCheckRow(Base):
    """The newest log row a community's stored questions were looked up against.

    Every stored question with no answer was looked up in the log as far as this row,
    so the next report looks for their answers only among the rows written since, in
    one pass over them, instead of two index lookups for each unanswered question.
    Every question of the log asked at or after `complete_since`, as far as the row
    `complete_id`, is stored, so the next report looks up only the questions logged
    since; unset (after an erasure dropped some) means not known.
    """

    __tablename__ = "answer_checks"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    checked_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    complete_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    complete_since: Mapped[datetime | None]


class ActivityHourlyRow(Base):
    """Posts and reactions of one channel in one UTC hour (bots left out), for heatmaps.

    Counts only, no member: kept like the community's other aggregate figures. A
    report adds the complete hours it has not seen yet from the log before it reads.
    """

    __tablename__ = "activity_hourly"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    """Whole hours since 1970-01-01 00:00 UTC."""
    channel_id: Mapped[str] = mapped_column(primary_key=True)
    """The channel, or an empty string for activity outside any channel."""
    posts: Mapped[int]
    reactions: Mapped[int]


class ReportMonthRow(Base):
    """What a report counted of one complete calendar month (UTC), kept once it is settled.

    A month's figures never change once its last events have arrived, so the first
    report after that stores them and later reports read twelve rows instead of
    grouping a year of rollups by member. Counts only, no member: kept like the
    community's other aggregate figures. `scope` tells the members left out when they
    were counted (empty when none), so a change of exclusions counts afresh.
    """

    __tablename__ = "report_months"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    scope: Mapped[str] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    active: Mapped[int]
    present: Mapped[int]
    rowers: Mapped[int]
    posts: Mapped[int]
    top_posts: Mapped[int]
    newcomers: Mapped[int]
    cohort: Mapped[dict[str, Any]]
    """The month's newcomers later: `kept` (active 1, 2, 3… months after, as far as
    settled) and, once settled, `compared` (each first action: did, stayed of them,
    did not, stayed of them)."""


class ReportDayRow(Base):
    """What a report counted of one settled day (UTC): members active, and those who posted.

    Like `ReportMonthRow`: a day's counts never change once its last events have
    arrived, so the first report after that stores them, and later reports read a
    row a day instead of grouping each day's rollups again. Counts only, no member.
    """

    __tablename__ = "report_days"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    scope: Mapped[str] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    active: Mapped[int]
    posters: Mapped[int]


__all__ = [
    "CHOICE_ROWS",
    "QUESTION_ROWS",
    "ROLLUP_KINDS",
    "ActivityHourlyRow",
    "AnswerCheckRow",
    "QuestionAnswerRow",
    "ReportDayRow",
    "ReportMonthRow",
    "activity_days_index",
    "choices_index",
    "questions_index",
    "threads_index",
]
