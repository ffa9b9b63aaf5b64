"""SQLAlchemy models: the tables Terreau keeps, on SQLite and PostgreSQL alike.

Uniqueness lives here: one row per platform event, one run per (job, scheduled
time), one outbox row per nonce. Concurrency bugs become constraint violations.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage._types import UTCDateTime, json_type

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

INTERACTION_KINDS = (
    "message",
    "reply",
    "reaction",
    "reaction_removed",
    "edit",
    "delete",
    "join",
    "leave",
    "thread",
    "command",
    "choice",
)
RUN_STATUSES = ("claimed", "done", "failed", "skipped")
OUTBOX_STATUSES = ("pending", "sent", "failed")
OPTOUT_SCOPES = ("tagging", "dm")
PAUSE_REASONS = ("moderator", "dead_channel", "refused")

_ID = BigInteger().with_variant(Integer, "sqlite")


def one_of(column: str, values: tuple[str, ...]) -> str:
    """Return a CHECK constraint's text: `column` holds one of `values`."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


def community_fk() -> ForeignKey:
    """Return a foreign key to the community, deleted with it."""
    return ForeignKey("communities.id", ondelete="CASCADE")


class Base(DeclarativeBase):
    """Declarative base whose metadata names every constraint predictably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: json_type()}  # noqa: RUF012


class CommunityRow(Base):
    """A Discord guild, Slack workspace or console community the bot serves."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    platform_id: Mapped[str]
    name: Mapped[str]
    created_at: Mapped[datetime]
    left_at: Mapped[datetime | None]


class MemberRow(Base):
    """A member the bot has seen in a community."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("community_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    member_id: Mapped[str]
    display_name: Mapped[str]
    is_bot: Mapped[bool]
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class ChannelRow(Base):
    """A channel the bot knows something about (a name, a purpose)."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("community_id", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    channel_id: Mapped[str]
    name: Mapped[str | None]
    purpose: Mapped[str | None]


class InteractionLogRow(Base):
    """One entry of the append-only interaction log (one per platform event).

    Bot-authored events are kept with `meta = {"bot": true}` and left out of
    rollups and response counts. `content` is filled only when the operator
    enables content storage.
    """

    __tablename__ = "interactions"
    __table_args__ = (
        UniqueConstraint("community_id", "event_id"),
        Index("ix_interactions_community_occurred", "community_id", "occurred_at"),
        Index("ix_interactions_community_member", "community_id", "member_id", "occurred_at"),
        Index("ix_interactions_community_channel", "community_id", "channel_id", "occurred_at"),
        Index("ix_interactions_community_reply_to", "community_id", "reply_to"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    event_id: Mapped[str]
    kind: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str | None]
    thread_id: Mapped[str | None]
    member_id: Mapped[str | None]
    message_id: Mapped[str | None]
    reply_to: Mapped[str | None]
    target: Mapped[str | None]
    occurred_at: Mapped[datetime]
    meta: Mapped[dict[str, Any] | None]
    content: Mapped[str | None] = mapped_column(Text)


class ActivityDailyRow(Base):
    """Per-member, per-UTC-day counts of human activity (bots excluded)."""

    __tablename__ = "activity_daily"

    community_id: Mapped[int] = mapped_column(community_fk(), primary_key=True)
    member_id: Mapped[str] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    messages: Mapped[int] = mapped_column(default=0)
    replies: Mapped[int] = mapped_column(default=0)
    reactions: Mapped[int] = mapped_column(default=0)
    other: Mapped[int] = mapped_column(default=0)


class RitualRow(Base):
    """Whether a community's ritual is paused, why, and by whom."""

    __tablename__ = "rituals"
    __table_args__ = (
        CheckConstraint(
            f"paused_reason IS NULL OR {one_of('paused_reason', PAUSE_REASONS)}",
            name="paused_reason",
        ),
    )

    community_id: Mapped[int] = mapped_column(community_fk(), primary_key=True)
    name: Mapped[str] = mapped_column(primary_key=True)
    paused: Mapped[bool]
    paused_reason: Mapped[str | None] = mapped_column(String(32))
    paused_at: Mapped[datetime | None]
    paused_by: Mapped[str | None]
    updated_at: Mapped[datetime]


class ContentUsageRow(Base):
    """A content item used in a rotation cycle, so no item repeats within a cycle."""

    __tablename__ = "content_usage"

    community_id: Mapped[int] = mapped_column(community_fk(), primary_key=True)
    pool: Mapped[str] = mapped_column(primary_key=True)
    item_id: Mapped[str] = mapped_column(primary_key=True)
    cycle: Mapped[int] = mapped_column(primary_key=True)
    used_at: Mapped[datetime]


class RunLedgerRow(Base):
    """One scheduled run of a job: claimed once, ever, by one process."""

    __tablename__ = "run_ledger"
    __table_args__ = (CheckConstraint(one_of("status", RUN_STATUSES), name="status"),)

    job_id: Mapped[str] = mapped_column(primary_key=True)
    scheduled_for: Mapped[datetime] = mapped_column(primary_key=True)
    claimed_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    finished_at: Mapped[datetime | None]
    detail: Mapped[str | None] = mapped_column(Text)


class OutboxRow(Base):
    """A message to send; its nonce lets a resend after a crash be recognised."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(one_of("status", OUTBOX_STATUSES), name="status"),
        Index("ix_outbox_status", "status", "id"),
        Index("ix_outbox_job_sent", "job_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    job_id: Mapped[str | None]
    scheduled_for: Mapped[datetime | None]
    nonce: Mapped[str] = mapped_column(unique=True)
    channel_id: Mapped[str]
    thread_id: Mapped[str | None]
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str | None]
    sent_thread_id: Mapped[str | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # The first time a send was started: an unconfirmed send is looked up from there.
    attempted_at: Mapped[datetime | None]
    # The process sending the row, until when; another process sends only once it lapses.
    lease_owner: Mapped[str | None]
    lease_until: Mapped[datetime | None]
    # The content-library prompt the post used (a ritual's), for the report.
    pool: Mapped[str | None]
    item_id: Mapped[str | None]


class OptOutRow(Base):
    """A member's refusal to be tagged or messaged; survives data erasure."""

    __tablename__ = "optouts"
    __table_args__ = (CheckConstraint(one_of("scope", OPTOUT_SCOPES), name="scope"),)

    community_id: Mapped[int] = mapped_column(community_fk(), primary_key=True)
    member_id: Mapped[str] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime]
