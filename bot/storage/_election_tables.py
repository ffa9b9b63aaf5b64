"""Member-of-the-month tables and the records the repository returns.

The database keeps the rules honest: one running election per community (a partial
unique index), one nomination per (election, nominee, nominator) and one vote per
(election, voter key).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage._types import json_type
from bot.storage.models import Base

log = logging.getLogger(__name__)

ELECTION_PHASES = ("nominating", "voting", "closed", "announced", "cancelled")
RUNNING_PHASES = ("nominating", "voting")
_RUNNING_SQL = "phase IN ('nominating', 'voting')"


FORMER_MEMBER = "~former-"
"""How the id of a member who erased their data starts in past results (no platform id
contains `~`), so counts stay right and nobody can be traced."""


def is_former_member(member_id: str) -> bool:
    """Tell whether an id in an election record stands for a member who was forgotten."""
    return member_id.startswith(FORMER_MEMBER)


def voter_key(secret: bytes, election_id: int, member_id: str) -> str:
    """Return the pseudonymous key of a member's ballot in one election."""
    message = f"{election_id}:{member_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class ElectionRow(Base):
    """One election (or runoff) of a community, with its stored phase and timestamps."""

    __tablename__ = "elections"
    __table_args__ = (
        UniqueConstraint("community_id", "slot"),
        CheckConstraint(f"phase IN ({_quoted(ELECTION_PHASES)})", name="phase"),
        Index(
            "uq_elections_running",
            "community_id",
            unique=True,
            sqlite_where=text(_RUNNING_SQL),
            postgresql_where=text(_RUNNING_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    slot: Mapped[str]
    period: Mapped[str] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(default=0)
    parent_id: Mapped[int | None]
    phase: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    tie_policy: Mapped[str] = mapped_column(String(16))
    nominations_open_at: Mapped[datetime]
    voting_opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    announced_at: Mapped[datetime | None]
    candidates: Mapped[Any] = mapped_column(json_type(), nullable=True)
    result: Mapped[Any] = mapped_column(json_type(), nullable=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None]


class ElectionSecretRow(Base):
    """The per-community key that turns member ids into voter keys."""

    __tablename__ = "election_secrets"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class NominationRow(Base):
    """A member nominated by another, with the reason quoted in the announcement."""

    __tablename__ = "election_nominations"
    __table_args__ = (UniqueConstraint("election_id", "nominee_id", "nominator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    nominee_id: Mapped[str]
    nominee_name: Mapped[str]
    nominator_id: Mapped[str]
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class VoteRow(Base):
    """A ballot: the ranking (one name for single choice) under a pseudonymous voter key."""

    __tablename__ = "election_votes"
    __table_args__ = (UniqueConstraint("election_id", "voter_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    voter_key: Mapped[str | None] = mapped_column(String(64))
    ranking: Mapped[Any] = mapped_column(json_type())
    cast_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WinnerRow(Base):
    """A member of the month: the hall of fame, and who rests from nominations."""

    __tablename__ = "election_winners"
    __table_args__ = (Index("ix_election_winners_community_period", "community_id", "period"),)

    election_id: Mapped[int] = mapped_column(
        ForeignKey("elections.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    display_name: Mapped[str]
    period: Mapped[str] = mapped_column(String(16))
    won_at: Mapped[datetime]


class ElectionAuditRow(Base):
    """One action on an election, by a moderator, a member or the schedule."""

    __tablename__ = "election_audit"
    __table_args__ = (Index("ix_election_audit_community_at", "community_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    election_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[str | None]
    detail: Mapped[Any] = mapped_column(json_type(), nullable=True)
    at: Mapped[datetime]


@dataclass(frozen=True, kw_only=True, slots=True)
class ElectionRecord:
    """An election as stored."""

    id: int
    community_id: int
    slot: str
    period: str
    round: int
    parent_id: int | None
    phase: str
    method: str
    tie_policy: str
    nominations_open_at: datetime
    voting_opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    announced_at: datetime | None
    candidates: tuple[str, ...] | None
    result: dict[str, Any] | None
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class NominationRecord:
    """A nomination as stored."""

    nominee_id: str
    nominee_name: str
    nominator_id: str
    reason: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class VoteRecord:
    """One ballot as stored (the voter key is not returned)."""

    ranking: tuple[str, ...]
    cast_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class WinnerRecord:
    """A past member of the month."""

    election_id: int
    member_id: str
    display_name: str
    period: str
    won_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditEntry:
    """One line of an election's audit log."""

    election_id: int | None
    action: str
    actor_id: str | None
    detail: dict[str, Any] | None
    at: datetime
