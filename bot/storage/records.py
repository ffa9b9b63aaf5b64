"""What repositories return: frozen snapshots of rows, detached from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True, kw_only=True, slots=True)
class CommunityRecord:
    """A community as stored."""

    id: int
    key: str
    platform: str
    platform_id: str
    name: str
    created_at: datetime
    left_at: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class MemberRecord:
    """A member as last seen in a community."""

    community_id: int
    member_id: str
    display_name: str
    is_bot: bool
    joined_at: datetime | None
    left_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelRecord:
    """A channel's stored name and purpose."""

    community_id: int
    channel_id: str
    name: str | None
    purpose: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class LedgerEntry:
    """One claimed run of a scheduled job."""

    job_id: str
    scheduled_for: datetime
    claimed_at: datetime
    status: str
    finished_at: datetime | None
    detail: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class OutboxEntry:
    """A message to send (or sent), with where it went."""

    id: int
    community_id: int
    community_key: str
    job_id: str | None
    scheduled_for: datetime | None
    nonce: str
    channel_id: str
    thread_id: str | None
    payload: dict[str, Any]
    status: str
    message_id: str | None
    sent_thread_id: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    attempted_at: datetime | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RitualState:
    """Whether a ritual runs in a community, and if not, why."""

    community_id: int
    name: str
    paused: bool
    paused_reason: str | None
    paused_at: datetime | None
    paused_by: str | None
    updated_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class ActivityDay:
    """One member's human activity on one UTC day."""

    community_id: int
    member_id: str
    day: date
    messages: int
    replies: int
    reactions: int
    other: int
