"""Members' data rights and retention: what is held about a member, erasure, purges.

Data about a member lives in tables with `community_id` and a member column. Any
such table can be counted, exported and erased generically (`MemberTable`), so a
feature declares its tables once and every request covers them. The audit log
records what was done, never to whom.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.dml import Delete

from bot.storage._base import Repository, require_aware
from bot.storage.analytics import AnswerCheckRow, QuestionAnswerRow
from bot.storage.models import (
    ActivityDailyRow,
    Base,
    CommunityRow,
    InteractionLogRow,
    OutboxRow,
    community_fk,
)

log = logging.getLogger(__name__)

AUDIT_ACTIONS = ("export", "forget", "purge", "community_deleted", "operator_export")


def _answers_touched(community_id: int, member_id: str) -> Delete:
    """Return the deletion of the stored questions a member asked or replied to."""
    stored = QuestionAnswerRow.__table__.c
    theirs = InteractionLogRow.__table__.c
    mine = (theirs.community_id == community_id, theirs.member_id == member_id)
    replied = union(
        select(theirs.reply_to).where(*mine, theirs.reply_to.is_not(None)),
        select(theirs.thread_id).where(*mine, theirs.thread_id.is_not(None)),
    )
    return delete(QuestionAnswerRow).where(
        stored.community_id == community_id,
        or_(stored.member_id == member_id, stored.message_id.in_(replied)),
    )


class ErasureRequestRow(Base):
    """A member asked to erase their data and has not confirmed yet."""

    __tablename__ = "erasure_requests"

    community_id: Mapped[int] = mapped_column(community_fk(), primary_key=True)
    member_id: Mapped[str] = mapped_column(primary_key=True)
    requested_at: Mapped[datetime]


class PrivacyAuditRow(Base):
    """What was done with members' data, and when; never whose data it was."""

    __tablename__ = "privacy_audit"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    community_id: Mapped[int] = mapped_column(community_fk())
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    details: Mapped[dict[str, Any]]


@dataclass(frozen=True, kw_only=True, slots=True)
class MemberTable:
    """A table holding data about members: rows keyed by community and a member column."""

    model: type[Base]
    member_column: str = "member_id"
    hidden: tuple[str, ...] = ("id", "community_id")
    """Columns left out of exports (internal ids)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PrivacyAuditEntry:
    """One line of the privacy audit log."""

    action: str
    at: datetime
    details: dict[str, Any]


_log = InteractionLogRow.__table__.c
_activity = ActivityDailyRow.__table__.c
_requests = ErasureRequestRow.__table__.c
_audit = PrivacyAuditRow.__table__.c
_communities = CommunityRow.__table__.c


class Privacy(Repository):
    """Counting, exporting and erasing a member's rows; purges; the audit log."""

    async def count(self, holder: MemberTable, community_id: int, member_id: str) -> int:
        """Return how many rows of `holder` are about the member."""
        stmt = (
            select(func.count())
            .select_from(holder.model)
            .where(_mine(holder, community_id, member_id))
        )
        return int((await self._connection.execute(stmt)).scalar_one())

    async def rows(
        self, holder: MemberTable, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return the member's rows of `holder`, JSON-ready, oldest first when ids allow."""
        table = holder.model.__table__
        columns = [c for c in table.c if c.name not in holder.hidden]
        stmt = select(*columns).where(_mine(holder, community_id, member_id))
        if "id" in table.c:
            stmt = stmt.order_by(table.c.id)
        result = await self._connection.execute(stmt)
        return [{key: _plain(value) for key, value in row._mapping.items()} for row in result]

    async def erase(self, holder: MemberTable, community_id: int, member_id: str) -> int:
        """Delete the member's rows of `holder`; return how many went.

        Erasing log rows also drops the stored questions the member asked or replied to
        (their channel, asker or first answer may come from these rows); the next
        report looks them up again in what the log keeps (no longer known to have all
        been looked up).
        """
        if holder.model is InteractionLogRow:
            # The checks' row first, as a report's lookup takes it first (PostgreSQL):
            # the two then wait for each other instead of deadlocking.
            await self._connection.execute(
                update(AnswerCheckRow)
                .where(AnswerCheckRow.community_id == community_id)
                .values(complete_id=None, complete_since=None)
            )
            await self._connection.execute(_answers_touched(community_id, member_id))
        stmt = delete(holder.model).where(_mine(holder, community_id, member_id))
        return (await self._connection.execute(stmt)).rowcount

    async def request_erasure(self, community_id: int, member_id: str, at: datetime) -> None:
        """Record (or renew) a member's request to erase their data."""
        await self.cancel_erasure(community_id, member_id)
        await self._connection.execute(
            self._insert(ErasureRequestRow).values(
                community_id=community_id, member_id=member_id, requested_at=require_aware(at, "at")
            )
        )

    async def erasure_requested(self, community_id: int, member_id: str, since: datetime) -> bool:
        """Tell whether the member asked for erasure at or after `since`."""
        stmt = select(_requests.requested_at).where(
            _requests.community_id == community_id,
            _requests.member_id == member_id,
            _requests.requested_at >= require_aware(since, "since"),
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def cancel_erasure(self, community_id: int, member_id: str) -> bool:
        """Forget a pending erasure request; return whether there was one."""
        stmt = delete(ErasureRequestRow).where(
            _requests.community_id == community_id, _requests.member_id == member_id
        )
        return bool((await self._connection.execute(stmt)).rowcount)

    async def audit(
        self, community_id: int, action: str, details: dict[str, Any], at: datetime | None = None
    ) -> None:
        """Append an entry to the audit log (counts and dates, never a member)."""
        if action not in AUDIT_ACTIONS:
            raise ValueError(f"unknown privacy audit action {action!r}")
        await self._connection.execute(
            insert(PrivacyAuditRow).values(
                community_id=community_id, action=action, at=self._now(at), details=details
            )
        )

    async def audit_log(self, community_id: int) -> list[PrivacyAuditEntry]:
        """Return the community's audit entries, oldest first."""
        stmt = (
            select(_audit.action, _audit.at, _audit.details)
            .where(_audit.community_id == community_id)
            .order_by(_audit.id)
        )
        return [
            PrivacyAuditEntry(action=row.action, at=row.at, details=dict(row.details))
            for row in await self._connection.execute(stmt)
        ]

    async def purge_log(self, community_id: int, before: datetime) -> int:
        """Delete raw interactions older than `before`; return how many went.

        The stored first answers of questions asked before it go too.
        """
        before = require_aware(before, "before")
        await self._connection.execute(
            delete(QuestionAnswerRow).where(
                QuestionAnswerRow.community_id == community_id, QuestionAnswerRow.asked_at < before
            )
        )
        stmt = delete(InteractionLogRow).where(
            _log.community_id == community_id, _log.occurred_at < before
        )
        return (await self._connection.execute(stmt)).rowcount

    async def blank_content(self, community_id: int, before: datetime) -> int:
        """Remove stored message text older than `before`; return how many rows changed."""
        stmt = (
            update(InteractionLogRow)
            .where(
                _log.community_id == community_id,
                _log.occurred_at < require_aware(before, "before"),
                _log.content.is_not(None),
            )
            .values(content=None)
        )
        return (await self._connection.execute(stmt)).rowcount

    async def purge_sent(self, community_id: int, before: datetime) -> int:
        """Delete Terreau's copies of messages queued before `before` and no longer pending.

        Sent posts name the members they welcomed, invited or elected; once nothing
        can resend them, they are kept no longer than the interaction log.
        """
        stmt = delete(OutboxRow).where(
            OutboxRow.community_id == community_id,
            OutboxRow.status != "pending",
            OutboxRow.created_at < require_aware(before, "before"),
        )
        return (await self._connection.execute(stmt)).rowcount

    async def purge_rollups(self, community_id: int, before: date) -> int:
        """Delete daily rollups of days before `before`; return how many went."""
        stmt = delete(ActivityDailyRow).where(
            _activity.community_id == community_id, _activity.day < before
        )
        return (await self._connection.execute(stmt)).rowcount

    async def departed_before(self, community_id: int, before: datetime) -> bool:
        """Tell whether Terreau was removed from the community before `before`."""
        stmt = select(_communities.left_at).where(_communities.id == community_id)
        left_at = (await self._connection.execute(stmt)).scalar_one_or_none()
        return left_at is not None and left_at < require_aware(before, "before")

    async def delete_community_data(self, community_id: int) -> dict[str, int]:
        """Delete every row that belongs to the community, except the community and audit.

        Covers every table with a `community_id` column, features' tables included.
        Returns the number of rows deleted per table.
        """
        counts: dict[str, int] = {}
        for table in reversed(Base.metadata.sorted_tables):
            if table.name in ("communities", "privacy_audit") or "community_id" not in table.c:
                continue
            result = await self._connection.execute(
                delete(table).where(table.c.community_id == community_id)
            )
            if result.rowcount:
                counts[table.name] = result.rowcount
        return counts


def _mine(holder: MemberTable, community_id: int, member_id: str) -> Any:
    table = holder.model.__table__
    return and_(table.c.community_id == community_id, table.c[holder.member_column] == member_id)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
