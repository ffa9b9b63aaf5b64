"""Icebreaker tables and what their repository returns (rows as frozen records)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.engine import Row
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, community_fk, one_of

INVITATION_KINDS = ("invitation", "welcome", "host_offer")
WELCOME_STATUSES = ("pending", "sent", "skipped")
REQUEST_REASONS = ("first_post", "quiet_return", "ritual")
REQUEST_STATUSES = ("pending", "sent", "dm_closed", "no_champion")
RESPONSE_KINDS = ("message", "reply", "reaction")
"""What counts as a response to an invitation: the member posted or reacted."""


class InvitationRow(Base):
    """A member tagged by an icebreaker, or welcomed, and what came of it."""

    __tablename__ = "icebreaker_invitations"
    __table_args__ = (
        UniqueConstraint("community_id", "nonce"),
        CheckConstraint(one_of("kind", INVITATION_KINDS), name="kind"),
        Index("ix_icebreaker_invitations_member", "community_id", "member_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    member_id: Mapped[str]
    kind: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[str]
    prompt: Mapped[str | None]
    channel_id: Mapped[str | None]
    level: Mapped[str | None] = mapped_column(String(16))
    sent_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    retained: Mapped[bool | None]


class WelcomeRow(Base):
    """A newcomer's welcome: due after a delay, sent once, or skipped (they left)."""

    __tablename__ = "icebreaker_welcomes"
    __table_args__ = (
        CheckConstraint(one_of("status", WELCOME_STATUSES), name="status"),
        Index("ix_icebreaker_welcomes_due", "community_id", "status", "due_at"),
    )

    community_id: Mapped[int] = mapped_column(community_fk(), primary_key=True)
    member_id: Mapped[str] = mapped_column(primary_key=True)
    joined_at: Mapped[datetime]
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None]
    updated_at: Mapped[datetime]


class InterestRow(Base):
    """A topic a member said interests them (`/terreau me interests`)."""

    __tablename__ = "member_interests"

    community_id: Mapped[int] = mapped_column(community_fk(), primary_key=True)
    member_id: Mapped[str] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]


class ChampionRow(Base):
    """A member who volunteered to be asked, by direct message, to welcome others."""

    __tablename__ = "champions"

    community_id: Mapped[int] = mapped_column(community_fk(), primary_key=True)
    member_id: Mapped[str] = mapped_column(primary_key=True)
    since: Mapped[datetime]


class ChampionRequestRow(Base):
    """A first post (newcomer or quiet member) or a ritual post a champion is asked to answer.

    For a ritual, `subject_id` holds the ritual's job id.
    """

    __tablename__ = "champion_requests"
    __table_args__ = (
        UniqueConstraint("community_id", "subject_id", "message_id"),
        CheckConstraint(one_of("reason", REQUEST_REASONS), name="reason"),
        CheckConstraint(one_of("status", REQUEST_STATUSES), name="status"),
        Index("ix_champion_requests_champion", "community_id", "champion_id", "sent_at"),
        Index("ix_champion_requests_status", "community_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    subject_id: Mapped[str]
    message_id: Mapped[str]
    channel_id: Mapped[str]
    reason: Mapped[str] = mapped_column(String(16))
    champion_id: Mapped[str | None]
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


@dataclass(frozen=True, kw_only=True, slots=True)
class Invitation:
    """An invitation or welcome as stored, with its outcome so far."""

    id: int
    community_id: int
    member_id: str
    kind: str
    prompt: str | None
    channel_id: str | None
    level: str | None
    sent_at: datetime
    responded_at: datetime | None
    retained: bool | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Welcome:
    """A newcomer's welcome and where it stands."""

    community_id: int
    member_id: str
    joined_at: datetime
    due_at: datetime
    status: str
    detail: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ChampionRequest:
    """A request for a champion to answer someone's first post."""

    id: int
    community_id: int
    subject_id: str
    message_id: str
    channel_id: str
    reason: str
    champion_id: str | None
    status: str
    created_at: datetime
    sent_at: datetime | None


def invitation_of(row: Row[tuple[object, ...]]) -> Invitation:
    """Return an invitation row as a record."""
    m = row._mapping
    return Invitation(
        id=m["id"],
        community_id=m["community_id"],
        member_id=m["member_id"],
        kind=m["kind"],
        prompt=m["prompt"],
        channel_id=m["channel_id"],
        level=m["level"],
        sent_at=m["sent_at"],
        responded_at=m["responded_at"],
        retained=None if m["retained"] is None else bool(m["retained"]),
    )


def welcome_of(row: Row[tuple[object, ...]]) -> Welcome:
    """Return a welcome row as a record."""
    m = row._mapping
    return Welcome(
        community_id=m["community_id"],
        member_id=m["member_id"],
        joined_at=m["joined_at"],
        due_at=m["due_at"],
        status=m["status"],
        detail=m["detail"],
    )


def request_of(row: Row[tuple[object, ...]]) -> ChampionRequest:
    """Return a champion request row as a record."""
    m = row._mapping
    return ChampionRequest(
        id=m["id"],
        community_id=m["community_id"],
        subject_id=m["subject_id"],
        message_id=m["message_id"],
        channel_id=m["channel_id"],
        reason=m["reason"],
        champion_id=m["champion_id"],
        status=m["status"],
        created_at=m["created_at"],
        sent_at=m["sent_at"],
    )
