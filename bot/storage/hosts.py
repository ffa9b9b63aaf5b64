"""Offers to host: a moderator's private offer to a member, and whether they took the lead.

An offer names what the member would host as a kind and an id (a ritual by name, an
affinity group or a live session by number), so other kinds can be hosted later
without a new table.
Every change is a compare-and-set on the stored status (`offered` to `accepted`,
`declined` or `expired`; `accepted` to `hosted`, or to `expired` when a live session
ends or is cancelled without them), so a click delivered twice, or two
processes, never answer or credit an offer twice. The contact itself is also recorded
as an icebreaker contact (kind `host_offer`), so the icebreakers' cool-down counts it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, and_, delete, func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage._base import Repository, require_aware
from bot.storage.models import Base, MemberRow, community_fk, one_of

TARGET_KINDS = ("ritual", "group", "live")
OFFER_STATUSES = ("offered", "accepted", "declined", "expired", "hosted")
ANSWERED = ("accepted", "declined", "expired")
TAKEN = ("accepted", "hosted")
"""An offer the member accepted: waiting for its post, or hosted already."""
FORMER_MODERATOR = ""
"""Who sent an offer, once that moderator's data is erased."""


class HostOfferRow(Base):
    """A moderator's offer to a member to host a ritual's next post, a group or a live session."""

    __tablename__ = "host_offers"
    __table_args__ = (
        CheckConstraint(one_of("target_kind", TARGET_KINDS), name="target_kind"),
        CheckConstraint(one_of("status", OFFER_STATUSES), name="status"),
        Index("ix_host_offers_member", "community_id", "member_id", "offered_at"),
        Index("ix_host_offers_target", "community_id", "target_kind", "target_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    member_id: Mapped[str]
    target_kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str]
    topic: Mapped[str]
    level: Mapped[str | None] = mapped_column(String(16))
    offered_by: Mapped[str]
    status: Mapped[str] = mapped_column(String(16))
    offered_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    hosted_at: Mapped[datetime | None]
    hosted_ref: Mapped[str | None]


@dataclass(frozen=True, kw_only=True, slots=True)
class HostOffer:
    """An offer to host, as stored."""

    id: int
    community_id: int
    member_id: str
    target_kind: str
    target_id: str
    topic: str
    level: str | None
    offered_by: str
    status: str
    offered_at: datetime
    answered_at: datetime | None
    hosted_at: datetime | None
    hosted_ref: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class HostFigures:
    """Offers sent in a period, how many were accepted and hosted, and who took the lead."""

    sent: int
    accepted: int
    hosted: int
    names: tuple[str, ...]


_offers = HostOfferRow.__table__.c


def _offer(row: Row[Any]) -> HostOffer:
    return HostOffer(**{name: getattr(row, name) for name in HostOffer.__dataclass_fields__})


class HostOffers(Repository):
    """Offers to host of every community (`uow.repository(HostOffers)`)."""

    async def offer(
        self,
        community_id: int,
        member_id: str,
        *,
        target_kind: str,
        target_id: str,
        topic: str,
        level: str | None,
        offered_by: str,
        at: datetime | None = None,
    ) -> HostOffer:
        """Store an offer just sent to a member."""
        if target_kind not in TARGET_KINDS:
            raise ValueError(f"target_kind must be one of {TARGET_KINDS}, got {target_kind!r}")
        result = await self._connection.execute(
            self._insert(HostOfferRow.__table__)
            .values(
                community_id=community_id,
                member_id=member_id,
                target_kind=target_kind,
                target_id=target_id,
                topic=topic,
                level=level,
                offered_by=offered_by,
                status="offered",
                offered_at=self._now(at),
            )
            .returning(*_offers)
        )
        return _offer(result.one())

    async def get(self, community_id: int, offer_id: int) -> HostOffer | None:
        """Return an offer of the community, or None."""
        row = (
            await self._connection.execute(
                select(HostOfferRow.__table__).where(
                    _offers.id == offer_id, _offers.community_id == community_id
                )
            )
        ).one_or_none()
        return None if row is None else _offer(row)

    async def of_members(self, community_id: int, member_ids: Iterable[str]) -> list[HostOffer]:
        """Return every offer made to some members, oldest first."""
        rows = await self._connection.execute(
            select(HostOfferRow.__table__)
            .where(_offers.community_id == community_id, _offers.member_id.in_(list(member_ids)))
            .order_by(_offers.offered_at, _offers.id)
        )
        return [_offer(row) for row in rows]

    async def answer(self, offer_id: int, status: str, at: datetime | None = None) -> bool:
        """Move an open offer to `accepted`, `declined` or `expired`; False if not open."""
        if status not in ANSWERED:
            raise ValueError(f"an offer is answered as one of {ANSWERED}, not {status!r}")
        moved = await self._connection.execute(
            update(HostOfferRow)
            .where(_offers.id == offer_id, _offers.status == "offered")
            .values(status=status, answered_at=self._now(at))
        )
        return moved.rowcount == 1

    async def expire(self, community_id: int, offered_before: datetime) -> list[HostOffer]:
        """Expire the offers still unanswered that were sent before `offered_before`."""
        rows = await self._connection.execute(
            update(HostOfferRow)
            .where(
                _offers.community_id == community_id,
                _offers.status == "offered",
                _offers.offered_at < require_aware(offered_before, "offered_before"),
            )
            .values(status="expired", answered_at=self._clock.now())
            .returning(*_offers)
        )
        return sorted((_offer(row) for row in rows), key=lambda offer: offer.id)

    async def take(
        self, community_id: int, target_kind: str, target_id: str, *, ref: str
    ) -> HostOffer | None:
        """Mark the earliest accepted offer on a target as hosted (by post `ref`), or None."""
        first = (
            await self._connection.execute(
                select(_offers.id)
                .where(
                    _offers.community_id == community_id,
                    _offers.target_kind == target_kind,
                    _offers.target_id == target_id,
                    _offers.status == "accepted",
                )
                .order_by(_offers.answered_at, _offers.id)
                .limit(1)
            )
        ).scalar_one_or_none()
        if first is None:
            return None
        moved = await self._connection.execute(
            update(HostOfferRow)
            .where(_offers.id == first, _offers.status == "accepted")
            .values(status="hosted", hosted_at=self._clock.now(), hosted_ref=ref)
            .returning(*_offers)
        )
        row = moved.one_or_none()
        return None if row is None else _offer(row)

    async def accepted(self, community_id: int, target_kind: str, target_id: str) -> list[str]:
        """Return the members whose accepted offer on a target waits to be hosted, in order."""
        rows = await self._connection.execute(
            select(_offers.member_id)
            .where(
                _offers.community_id == community_id,
                _offers.target_kind == target_kind,
                _offers.target_id == target_id,
                _offers.status == "accepted",
            )
            .order_by(_offers.answered_at, _offers.id)
        )
        return list(dict.fromkeys(row.member_id for row in rows))

    async def credit(
        self,
        community_id: int,
        target_kind: str,
        target_id: str,
        member_ids: Collection[str],
        *,
        ref: str,
    ) -> int:
        """Mark as hosted (by `ref`) the accepted offers of these members on a target."""
        if not member_ids:
            return 0
        moved = await self._connection.execute(
            update(HostOfferRow)
            .where(
                _offers.community_id == community_id,
                _offers.target_kind == target_kind,
                _offers.target_id == target_id,
                _offers.member_id.in_(list(member_ids)),
                _offers.status == "accepted",
            )
            .values(status="hosted", hosted_at=self._clock.now(), hosted_ref=ref)
        )
        return int(moved.rowcount or 0)

    async def lapse(self, community_id: int, target_kind: str, target_id: str) -> int:
        """Expire the accepted offers on a target that will never be hosted (it is over)."""
        moved = await self._connection.execute(
            update(HostOfferRow)
            .where(
                _offers.community_id == community_id,
                _offers.target_kind == target_kind,
                _offers.target_id == target_id,
                _offers.status == "accepted",
            )
            .values(status="expired")
        )
        return int(moved.rowcount or 0)

    async def waiting(self, community_id: int, target_kind: str, target_id: str) -> int:
        """Return how many accepted offers on a target wait for their post."""
        found = await self._connection.scalar(
            select(func.count()).where(
                _offers.community_id == community_id,
                _offers.target_kind == target_kind,
                _offers.target_id == target_id,
                _offers.status == "accepted",
            )
        )
        return int(found or 0)

    async def hosts(self, community_id: int, target_kind: str) -> dict[str, str]:
        """Return the latest member who took each target of a kind, by target id."""
        rows = await self._connection.execute(
            select(_offers.target_id, _offers.member_id)
            .where(
                _offers.community_id == community_id,
                _offers.target_kind == target_kind,
                _offers.status.in_(TAKEN),
            )
            .order_by(_offers.answered_at, _offers.id)
        )
        return {target: member for target, member in rows}

    async def sent_since(self, community_id: int, since: datetime) -> int:
        """Return how many offers the community sent since `since`."""
        found = await self._connection.scalar(
            select(func.count()).where(
                _offers.community_id == community_id,
                _offers.offered_at >= require_aware(since, "since"),
            )
        )
        return int(found or 0)

    async def figures(
        self,
        community_id: int,
        *,
        since: datetime,
        until: datetime,
        exclude: Collection[str] = (),
    ) -> HostFigures:
        """Return the offers sent in [since, until), those accepted, those hosted, and by whom.

        The names are those of the members who accepted (their display names), each
        once, in alphabetical order (never ranked).
        """
        rows = await self._connection.execute(
            select(_offers.member_id, _offers.status, MemberRow.__table__.c.display_name)
            .outerjoin(
                MemberRow.__table__,
                and_(
                    MemberRow.__table__.c.community_id == _offers.community_id,
                    MemberRow.__table__.c.member_id == _offers.member_id,
                ),
            )
            .where(
                _offers.community_id == community_id,
                _offers.offered_at >= require_aware(since, "since"),
                _offers.offered_at < require_aware(until, "until"),
                _offers.member_id.not_in(list(exclude)),
            )
        )
        found = list(rows)
        names = sorted({name or member for member, status, name in found if status in TAKEN})
        return HostFigures(
            sent=len(found),
            accepted=sum(1 for _, status, _ in found if status in TAKEN),
            hosted=sum(1 for _, status, _ in found if status == "hosted"),
            names=tuple(names),
        )

    async def of_member(self, community_id: int, member_id: str) -> list[dict[str, Any]]:
        """Return the offers made to a member, JSON-ready (without who sent them)."""
        return [
            {
                "target_kind": offer.target_kind,
                "target_id": offer.target_id,
                "topic": offer.topic,
                "level": offer.level,
                "status": offer.status,
                "offered_at": offer.offered_at.isoformat(),
                "answered_at": offer.answered_at.isoformat() if offer.answered_at else None,
                "hosted_at": offer.hosted_at.isoformat() if offer.hosted_at else None,
            }
            for offer in await self.of_members(community_id, [member_id])
        ]

    async def erase_member(self, community_id: int, member_id: str) -> int:
        """Delete the offers made to a member, and forget them as the sender of others'."""
        deleted = await self._connection.execute(
            delete(HostOfferRow).where(
                _offers.community_id == community_id, _offers.member_id == member_id
            )
        )
        forgotten = await self._connection.execute(
            update(HostOfferRow)
            .where(_offers.community_id == community_id, _offers.offered_by == member_id)
            .values(offered_by=FORMER_MODERATOR)
        )
        return int(deleted.rowcount or 0) + int(forgotten.rowcount or 0)

    async def purge_before(self, community_id: int, before: datetime) -> int:
        """Delete the offers answered (or hosted) before `before`; open offers stay."""
        deleted = await self._connection.execute(
            delete(HostOfferRow).where(
                _offers.community_id == community_id,
                _offers.status != "offered",
                _offers.status != "accepted",
                func.coalesce(_offers.hosted_at, _offers.answered_at)
                < require_aware(before, "before"),
            )
        )
        return int(deleted.rowcount or 0)
