"""Co-optation: members' personal invitation links, and who brought each newcomer.

A link is one row per (community, link) naming the member it belongs to, with the
use count Terreau last saw; a newcomer is attributed once, ever (the newcomer is the
key), whether through a link's count going up or because they said who brought them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import CheckConstraint, String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage._base import Repository
from bot.storage.models import ActivityDailyRow, Base, MemberRow, community_fk, one_of

COOPTATION_WAYS = ("link", "declared")


class InviteLinkRow(Base):
    """A member's personal invitation link and its use count as last seen."""

    __tablename__ = "invite_links"

    community_id: Mapped[int] = mapped_column(community_fk(), primary_key=True)
    link: Mapped[str] = mapped_column(primary_key=True)
    member_id: Mapped[str]
    uses: Mapped[int]
    created_at: Mapped[datetime]


class CooptationRow(Base):
    """A newcomer and the member who brought them in."""

    __tablename__ = "cooptations"
    __table_args__ = (CheckConstraint(one_of("way", COOPTATION_WAYS), name="way"),)

    community_id: Mapped[int] = mapped_column(community_fk(), primary_key=True)
    newcomer_id: Mapped[str] = mapped_column(primary_key=True)
    by_member_id: Mapped[str]
    way: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]


@dataclass(frozen=True, kw_only=True, slots=True)
class Cooptation:
    """Who brought a newcomer in, and how Terreau knows."""

    newcomer_id: str
    by_member_id: str
    way: str
    at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class Newcomer:
    """How a newcomer of a cohort fared in their first days, and whether they were co-opted."""

    coopted: bool
    posted: bool
    """Wrote a message or a reply within the window after arriving."""
    retained: bool
    """Active on a day at least the window after the day they arrived."""


_links = InviteLinkRow.__table__.c
_coopt = CooptationRow.__table__.c
_members = MemberRow.__table__.c
_daily = ActivityDailyRow.__table__.c


class Invites(Repository):
    """Invitation links and co-optations of every community (`uow.repository(Invites)`)."""

    async def link_of(self, community_id: int, member_id: str) -> str | None:
        """Return a member's link, if they asked for one."""
        found = await self._connection.scalar(
            select(_links.link)
            .where(_links.community_id == community_id, _links.member_id == member_id)
            .order_by(_links.created_at)
            .limit(1)
        )
        return None if found is None else str(found)

    async def add_link(self, community_id: int, member_id: str, link: str, uses: int) -> None:
        """Store a member's new link."""
        await self._connection.execute(
            self._insert(InviteLinkRow.__table__)
            .values(
                community_id=community_id,
                link=link,
                member_id=member_id,
                uses=uses,
                created_at=self._now(None),
            )
            .on_conflict_do_nothing()
        )

    async def take_uses(self, community_id: int, seen: Mapping[str, int]) -> dict[str, str]:
        """Store the use counts seen; return the members whose links' counts went up, by link.

        Each rise is taken by one process only (compare-and-set on the stored count).
        """
        rows = await self._connection.execute(
            select(_links.link, _links.member_id, _links.uses).where(
                _links.community_id == community_id, _links.link.in_(list(seen))
            )
        )
        risen: dict[str, str] = {}
        for row in rows:
            now = seen[row.link]
            if now <= row.uses:
                continue
            moved = await self._connection.execute(
                update(InviteLinkRow)
                .where(
                    _links.community_id == community_id,
                    _links.link == row.link,
                    _links.uses == row.uses,
                )
                .values(uses=now)
            )
            if moved.rowcount:
                risen[row.link] = row.member_id
        return risen

    async def coopt(self, community_id: int, newcomer_id: str, by_member_id: str, way: str) -> bool:
        """Record who brought a newcomer; False when that was already known."""
        inserted = await self._connection.execute(
            self._insert(CooptationRow.__table__)
            .values(
                community_id=community_id,
                newcomer_id=newcomer_id,
                by_member_id=by_member_id,
                way=way,
                at=self._now(None),
            )
            .on_conflict_do_nothing()
        )
        return bool(inserted.rowcount)

    async def cooptation(self, community_id: int, newcomer_id: str) -> Cooptation | None:
        """Return who brought a newcomer, if known."""
        row = (
            await self._connection.execute(
                select(_coopt.newcomer_id, _coopt.by_member_id, _coopt.way, _coopt.at).where(
                    _coopt.community_id == community_id, _coopt.newcomer_id == newcomer_id
                )
            )
        ).one_or_none()
        if row is None:
            return None
        return Cooptation(newcomer_id=row[0], by_member_id=row[1], way=row[2], at=row[3])

    async def coopters(
        self, community_id: int, *, since: datetime, until: datetime, exclude: Collection[str] = ()
    ) -> list[str]:
        """Return the names of who brought a newcomer from `since` to `until`, alphabetically.

        Each member comes once, whatever their count; case is ignored in the order.
        """
        stmt = (
            select(_members.member_id, _members.display_name)
            .distinct()
            .join(
                CooptationRow.__table__,
                (_coopt.community_id == _members.community_id)
                & (_coopt.by_member_id == _members.member_id),
            )
            .where(
                _members.community_id == community_id,
                _coopt.at >= since,
                _coopt.at < until,
            )
        )
        if exclude:
            stmt = stmt.where(_members.member_id.not_in(sorted(exclude)))
        found = [str(row[1]) for row in await self._connection.execute(stmt)]
        return sorted(found, key=lambda name: (name.casefold(), name))

    async def newcomers(
        self,
        community_id: int,
        *,
        since: datetime,
        until: datetime,
        window: timedelta,
        last_day: date,
        exclude: Collection[str] = (),
    ) -> list[Newcomer]:
        """Return the newcomers who arrived from `since` to `until`, as the report compares them.

        Arrival is the join, or the first time seen; activity counts up to `last_day`.
        """
        arrival = func.coalesce(_members.joined_at, _members.first_seen_at)
        stmt = (
            select(_members.member_id, arrival, _coopt.newcomer_id)
            .select_from(
                MemberRow.__table__.outerjoin(
                    CooptationRow.__table__,
                    (_coopt.community_id == _members.community_id)
                    & (_coopt.newcomer_id == _members.member_id),
                )
            )
            .where(
                _members.community_id == community_id,
                _members.is_bot.is_(False),
                arrival >= since,
                arrival < until,
            )
        )
        if exclude:
            stmt = stmt.where(_members.member_id.not_in(sorted(exclude)))
        cohort = {
            row[0]: (row[1], row[2] is not None) for row in await self._connection.execute(stmt)
        }
        if not cohort:
            return []
        days: dict[str, list[tuple[date, int]]] = {}
        rows = await self._connection.execute(
            select(_daily.member_id, _daily.day, _daily.messages + _daily.replies).where(
                _daily.community_id == community_id,
                _daily.member_id.in_(list(cohort)),
                _daily.day <= last_day,
            )
        )
        for member_id, day, written in rows:
            days.setdefault(member_id, []).append((day, written))
        found = []
        for member_id, (arrived, coopted) in cohort.items():
            first = arrived.date()
            active = days.get(member_id, [])
            found.append(
                Newcomer(
                    coopted=coopted,
                    posted=any(first <= d < first + window and n for d, n in active),
                    retained=any(d >= first + window for d, _ in active),
                )
            )
        return found
