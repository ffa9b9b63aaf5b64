"""Icebreaker storage: invitations and welcomes with their outcomes, interests, champions.

Uniqueness is the database's: one invitation per (community, nonce), one welcome
per member ever, one champion request per (subject, message). A state change
(`pending` to `sent`) is a compare-and-set, so two processes never both send.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    String,
    case,
    cast,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)

from bot.storage._base import require_aware, rows_table
from bot.storage._icebreaker_figures import IcebreakerFigureQueries
from bot.storage._icebreaker_rows import (
    INVITATION_KINDS,
    REQUEST_REASONS,
    REQUEST_STATUSES,
    RESPONSE_KINDS,
    WELCOME_STATUSES,
    ChampionRequest,
    ChampionRequestRow,
    ChampionRow,
    InterestRow,
    Invitation,
    InvitationRow,
    Welcome,
    WelcomeRow,
    invitation_of,
    request_of,
    welcome_of,
)
from bot.storage._interactions import human
from bot.storage._types import UTCDateTime
from bot.storage.models import InteractionLogRow, OptOutRow, OutboxRow

log = logging.getLogger(__name__)

ROTATION_MULTIPLIER = 2_654_435_761
ROTATION_MODULUS = 2**32


def _big(value: int) -> ColumnElement[int]:
    return literal(value, BigInteger)


def rotation_order(member_key: int, seed: int) -> int:
    """Return where a member stands among equals in the rotation (seeded, not alphabetical).

    The database computes the same integer in `Icebreakers.shortlist`.
    """
    return (member_key * ROTATION_MULTIPLIER + seed) % ROTATION_MODULUS


__all__ = [
    "INVITATION_KINDS",
    "REQUEST_REASONS",
    "REQUEST_STATUSES",
    "RESPONSE_KINDS",
    "WELCOME_STATUSES",
    "ChampionRequest",
    "ChampionRequestRow",
    "ChampionRow",
    "Icebreakers",
    "InterestRow",
    "Invitation",
    "InvitationRow",
    "Welcome",
    "WelcomeRow",
    "rotation_order",
]

_inv = InvitationRow.__table__.c
_wel = WelcomeRow.__table__.c
_int = InterestRow.__table__.c
_cha = ChampionRow.__table__.c
_req = ChampionRequestRow.__table__.c
_log = InteractionLogRow.__table__.c
_out = OutboxRow.__table__.c
_opt = OptOutRow.__table__.c


class Icebreakers(IcebreakerFigureQueries):
    """Invitations, welcomes, interests and champions of every community."""

    # -- invitations and outcomes

    async def record(
        self,
        community_id: int,
        member_id: str,
        *,
        kind: str,
        nonce: str,
        prompt: str | None = None,
        channel_id: str | None = None,
        level: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Record an invitation or welcome; False if `nonce` was recorded already."""
        if kind not in INVITATION_KINDS:
            raise ValueError(f"kind must be one of {INVITATION_KINDS}, got {kind!r}")
        stmt = (
            self._insert(InvitationRow.__table__)
            .values(
                community_id=community_id,
                member_id=member_id,
                kind=kind,
                nonce=nonce,
                prompt=prompt,
                channel_id=channel_id,
                level=level,
                sent_at=self._now(at),
                responded_at=None,
                retained=None,
            )
            .on_conflict_do_nothing(index_elements=[_inv.community_id, _inv.nonce])
            .returning(_inv.id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def invitations(self, community_id: int, kind: str | None = None) -> list[Invitation]:
        """Return a community's invitations (of one kind, or all), oldest first."""
        stmt = select(InvitationRow.__table__).where(_inv.community_id == community_id)
        if kind is not None:
            stmt = stmt.where(_inv.kind == kind)
        stmt = stmt.order_by(_inv.sent_at, _inv.id)
        return [invitation_of(row) for row in await self._connection.execute(stmt)]

    async def contacts(self, community_id: int) -> list[tuple[str, str, datetime, datetime | None]]:
        """Return (member, kind, sent_at, responded_at) of every invitation and welcome."""
        stmt = select(_inv.member_id, _inv.kind, _inv.sent_at, _inv.responded_at).where(
            _inv.community_id == community_id
        )
        return [
            (member, kind, sent, responded)
            for member, kind, sent, responded in await self._connection.execute(stmt)
        ]

    async def contacts_of(
        self, community_id: int, member_ids: Iterable[str]
    ) -> list[tuple[str, str, datetime, datetime | None]]:
        """Return the contacts (as `contacts` does) of some members only."""
        stmt = select(_inv.member_id, _inv.kind, _inv.sent_at, _inv.responded_at).where(
            _inv.community_id == community_id, _inv.member_id.in_(list(member_ids))
        )
        return [
            (member, kind, sent, responded)
            for member, kind, sent, responded in await self._connection.execute(stmt)
        ]

    async def shortlist(
        self,
        community_id: int,
        levels: Select[Any],
        *,
        invite_levels: Collection[str],
        contacted_before: datetime,
        skip_awaiting_welcome: bool,
        seed: int,
        limit: int,
    ) -> list[tuple[str, str, str, int]]:
        """Return the first `limit` members the rotation would consider, in rotation order.

        `levels` is `uow.activity.levels_query(...)`. The database drops the members no
        rule could choose (other levels, opted out, awaiting their welcome, contacted
        after `contacted_before`) and orders the rest as `select` does: fewest
        invitations, then the oldest last contact (never first), then `rotation_order`.
        Rows are (member id, display name, level, member key).
        """
        lv = levels.subquery()
        contacts = (
            select(
                _inv.member_id.label("member_id"),
                func.sum(case((_inv.kind == "invitation", 1), else_=0)).label("times"),
                func.max(_inv.sent_at).label("last"),
            )
            .where(_inv.community_id == community_id)
            .group_by(_inv.member_id)
            .subquery()
        )
        opted_out = select(_opt.member_id).where(
            _opt.community_id == community_id,
            _opt.member_id == lv.c.member_id,
            _opt.scope == "tagging",
        )
        stmt = (
            select(lv.c.member_id, lv.c.display_name, lv.c.level, lv.c.member_key)
            .select_from(lv.outerjoin(contacts, contacts.c.member_id == lv.c.member_id))
            .where(
                lv.c.level.in_(list(invite_levels)),
                or_(
                    contacts.c.last.is_(None),
                    contacts.c.last <= require_aware(contacted_before, "contacted_before"),
                ),
                ~exists(opted_out),
            )
        )
        if skip_awaiting_welcome:
            stmt = stmt.where(
                ~exists(
                    select(_wel.member_id).where(
                        _wel.community_id == community_id,
                        _wel.member_id == lv.c.member_id,
                        _wel.status == "pending",
                    )
                )
            )
        stmt = stmt.order_by(
            func.coalesce(contacts.c.times, 0),
            contacts.c.last.nulls_first(),
            (cast(lv.c.member_key, BigInteger) * _big(ROTATION_MULTIPLIER) + _big(seed))
            % _big(ROTATION_MODULUS),
        ).limit(limit)
        return [
            (member, name, level, int(key))
            for member, name, level, key in await self._connection.execute(stmt)
        ]

    async def open_outcomes(self, community_id: int) -> list[Invitation]:
        """Return the invitations whose 30-day outcome is not settled yet."""
        stmt = (
            select(InvitationRow.__table__)
            .where(_inv.community_id == community_id, _inv.retained.is_(None))
            .order_by(_inv.id)
        )
        return [invitation_of(row) for row in await self._connection.execute(stmt)]

    async def first_activity(
        self, community_id: int, member_id: str, since: datetime, until: datetime
    ) -> datetime | None:
        """Return when a member first posted or reacted in [since, until), from the log."""
        return (await self.first_activities(community_id, [(member_id, since, until)]))[0]

    async def first_activities(
        self, community_id: int, windows: Sequence[tuple[str, datetime, datetime]]
    ) -> list[datetime | None]:
        """Return, for each (member, since, until), when they first posted or reacted then.

        Every window goes in one statement (`rows_table`): the hundreds of invitations
        a report looks at take one round trip, not one each.
        """
        for _member, since, until in windows:
            require_aware(since, "since")
            require_aware(until, "until")
        found: list[datetime | None] = [None] * len(windows)
        if not windows:
            return found
        asked = rows_table(
            self._connection.dialect,
            "asked",
            (
                ("position", Integer()),
                ("member_id", String()),
                ("since", UTCDateTime()),
                ("until", UTCDateTime()),
            ),
            [(position, *window) for position, window in enumerate(windows)],
        )
        first = (
            select(func.min(_log.occurred_at))
            .where(
                _log.community_id == community_id,
                _log.member_id == asked.c.member_id,
                _log.kind.in_(RESPONSE_KINDS),
                _log.occurred_at >= asked.c.since,
                _log.occurred_at < asked.c.until,
                human(),
            )
            .scalar_subquery()
        )
        for position, value in await self._connection.execute(select(asked.c.position, first)):
            if value is not None:
                found[position] = require_aware(value, "occurred_at")
        return found

    async def set_outcome(
        self, invitation_id: int, *, responded_at: datetime | None, retained: bool | None
    ) -> None:
        """Store what an invitation led to so far."""
        await self._connection.execute(
            update(InvitationRow)
            .where(_inv.id == invitation_id)
            .values(responded_at=responded_at, retained=retained)
        )

    # -- welcomes

    async def add_welcome(
        self, community_id: int, member_id: str, *, joined_at: datetime, due_at: datetime
    ) -> bool:
        """Plan a newcomer's welcome; False if they were ever planned one (a rejoin)."""
        stmt = (
            self._insert(WelcomeRow.__table__)
            .values(
                community_id=community_id,
                member_id=member_id,
                joined_at=require_aware(joined_at, "joined_at"),
                due_at=require_aware(due_at, "due_at"),
                status="pending",
                detail=None,
                updated_at=self._clock.now(),
            )
            .on_conflict_do_nothing(index_elements=[_wel.community_id, _wel.member_id])
            .returning(_wel.member_id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def due_welcomes(
        self, community_id: int, now: datetime, limit: int = 50
    ) -> list[Welcome]:
        """Return pending welcomes due at `now`, earliest first."""
        stmt = (
            select(WelcomeRow.__table__)
            .where(
                _wel.community_id == community_id,
                _wel.status == "pending",
                _wel.due_at <= require_aware(now, "now"),
            )
            .order_by(_wel.due_at, _wel.member_id)
            .limit(limit)
        )
        return [welcome_of(row) for row in await self._connection.execute(stmt)]

    async def welcome(self, community_id: int, member_id: str) -> Welcome | None:
        """Return a member's welcome, or None if none was ever planned."""
        stmt = select(WelcomeRow.__table__).where(
            _wel.community_id == community_id, _wel.member_id == member_id
        )
        row = (await self._connection.execute(stmt)).first()
        return None if row is None else welcome_of(row)

    async def pending_welcomes(self, community_id: int) -> frozenset[str]:
        """Return the members still waiting for their welcome."""
        stmt = select(_wel.member_id).where(
            _wel.community_id == community_id, _wel.status == "pending"
        )
        return frozenset((await self._connection.execute(stmt)).scalars())

    async def finish_welcome(
        self, community_id: int, member_id: str, status: str, detail: str | None = None
    ) -> bool:
        """Move a pending welcome to `sent` or `skipped`; False if it was not pending."""
        if status not in WELCOME_STATUSES[1:]:
            raise ValueError(f"a welcome finishes as sent or skipped, not {status!r}")
        stmt = (
            update(WelcomeRow)
            .where(
                _wel.community_id == community_id,
                _wel.member_id == member_id,
                _wel.status == "pending",
            )
            .values(status=status, detail=detail, updated_at=self._clock.now())
        )
        return (await self._connection.execute(stmt)).rowcount == 1

    # -- interests

    async def set_interests(self, community_id: int, member_id: str, topics: Iterable[str]) -> None:
        """Replace a member's declared interests."""
        await self._connection.execute(
            delete(InterestRow).where(
                _int.community_id == community_id, _int.member_id == member_id
            )
        )
        rows = [
            {
                "community_id": community_id,
                "member_id": member_id,
                "topic": topic,
                "created_at": self._clock.now(),
            }
            for topic in sorted(set(topics))
        ]
        if rows:
            await self._connection.execute(self._insert(InterestRow.__table__), rows)

    async def interests(
        self, community_id: int, member_ids: Iterable[str] | None = None
    ) -> dict[str, frozenset[str]]:
        """Return declared interests by member (only members who declared some)."""
        stmt = select(_int.member_id, _int.topic).where(_int.community_id == community_id)
        if member_ids is not None:
            stmt = stmt.where(_int.member_id.in_(list(member_ids)))
        found: dict[str, set[str]] = {}
        for member, topic in await self._connection.execute(stmt):
            found.setdefault(member, set()).add(topic)
        return {member: frozenset(topics) for member, topics in found.items()}

    async def channels_of(
        self, community_id: int, member_ids: Iterable[str], since: datetime
    ) -> dict[str, frozenset[str]]:
        """Return the channels each member posted or reacted in since `since` (from the log)."""
        stmt = (
            select(_log.member_id, _log.channel_id)
            .where(
                _log.community_id == community_id,
                _log.member_id.in_(list(member_ids)),
                _log.kind.in_(RESPONSE_KINDS),
                _log.channel_id.is_not(None),
                _log.occurred_at >= require_aware(since, "since"),
            )
            .distinct()
        )
        found: dict[str, set[str]] = {}
        for member, channel in await self._connection.execute(stmt):
            found.setdefault(member, set()).add(channel)
        return {member: frozenset(channels) for member, channels in found.items()}

    # -- champions

    async def set_champion(self, community_id: int, member_id: str, on: bool) -> bool:
        """Volunteer (`on`) or withdraw a champion; False if nothing changed."""
        if on:
            insert = (
                self._insert(ChampionRow.__table__)
                .values(community_id=community_id, member_id=member_id, since=self._clock.now())
                .on_conflict_do_nothing(index_elements=[_cha.community_id, _cha.member_id])
                .returning(_cha.member_id)
            )
            return (await self._connection.execute(insert)).first() is not None
        remove = (
            delete(ChampionRow)
            .where(_cha.community_id == community_id, _cha.member_id == member_id)
            .returning(_cha.member_id)
        )
        return (await self._connection.execute(remove)).first() is not None

    async def champions(self, community_id: int) -> list[str]:
        """Return the champions of a community, by member id."""
        stmt = (
            select(_cha.member_id).where(_cha.community_id == community_id).order_by(_cha.member_id)
        )
        return list((await self._connection.execute(stmt)).scalars())

    async def add_request(
        self,
        community_id: int,
        *,
        subject_id: str,
        message_id: str,
        channel_id: str,
        reason: str,
    ) -> bool:
        """Queue a request for a champion to answer a first post; False if already queued."""
        stmt = (
            self._insert(ChampionRequestRow.__table__)
            .values(
                community_id=community_id,
                subject_id=subject_id,
                message_id=message_id,
                channel_id=channel_id,
                reason=reason,
                champion_id=None,
                status="pending",
                created_at=self._clock.now(),
                sent_at=None,
            )
            .on_conflict_do_nothing(
                index_elements=[_req.community_id, _req.subject_id, _req.message_id]
            )
            .returning(_req.id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def requests(
        self, community_id: int, *, status: str | None = None
    ) -> list[ChampionRequest]:
        """Return champion requests (optionally of one status), oldest first."""
        stmt = select(ChampionRequestRow.__table__).where(_req.community_id == community_id)
        if status is not None:
            stmt = stmt.where(_req.status == status)
        stmt = stmt.order_by(_req.created_at, _req.id)
        return [request_of(row) for row in await self._connection.execute(stmt)]

    async def sent_since(self, community_id: int, since: datetime) -> dict[str, int]:
        """Return how many requests each champion was sent since `since`."""
        stmt = (
            select(_req.champion_id, func.count())
            .where(
                _req.community_id == community_id,
                _req.status == "sent",
                _req.sent_at >= require_aware(since, "since"),
            )
            .group_by(_req.champion_id)
        )
        return {
            str(champion): int(count) for champion, count in await self._connection.execute(stmt)
        }

    async def last_sent(self, community_id: int) -> dict[str, datetime]:
        """Return when each champion was last sent a request."""
        stmt = (
            select(_req.champion_id, func.max(_req.sent_at))
            .where(_req.community_id == community_id, _req.status == "sent")
            .group_by(_req.champion_id)
        )
        return {
            str(champion): require_aware(at, "sent_at")
            for champion, at in await self._connection.execute(stmt)
        }

    async def finish_request(
        self, request_id: int, *, status: str, champion_id: str | None = None
    ) -> bool:
        """Move a pending request to its outcome; False if it was not pending any more."""
        if status not in REQUEST_STATUSES[1:]:
            raise ValueError(f"a request finishes as one of {REQUEST_STATUSES[1:]}, not {status!r}")
        stmt = (
            update(ChampionRequestRow)
            .where(_req.id == request_id, _req.status == "pending")
            .values(
                status=status,
                champion_id=champion_id,
                sent_at=self._clock.now() if status == "sent" else None,
            )
        )
        return (await self._connection.execute(stmt)).rowcount == 1

    async def set_request_status(self, request_id: int, status: str) -> None:
        """Record what became of a sent request (e.g. `dm_closed`)."""
        if status not in REQUEST_STATUSES:
            raise ValueError(f"request status must be one of {REQUEST_STATUSES}, not {status!r}")
        await self._connection.execute(
            update(ChampionRequestRow).where(_req.id == request_id).values(status=status)
        )

    async def has_request_since(self, community_id: int, subject_id: str, since: datetime) -> bool:
        """Return whether a champion request about `subject_id` was queued since `since`."""
        stmt = select(_req.id).where(
            _req.community_id == community_id,
            _req.subject_id == subject_id,
            _req.created_at >= require_aware(since, "since"),
        )
        return (await self._connection.execute(stmt.limit(1))).first() is not None

    async def ritual_posts(
        self, community_id: int, prefix: str, since: datetime
    ) -> list[tuple[str, str, str]]:
        """Return (job id, message id, channel id) of posts sent since `since` by jobs `prefix*`."""
        stmt = (
            select(_out.job_id, _out.message_id, _out.channel_id)
            .where(
                _out.community_id == community_id,
                _out.status == "sent",
                _out.job_id.startswith(prefix, autoescape=True),
                _out.message_id.is_not(None),
                _out.sent_at >= require_aware(since, "since"),
            )
            .order_by(_out.sent_at, _out.id)
        )
        return [
            (str(job), str(message), str(channel))
            for job, message, channel in await self._connection.execute(stmt)
        ]

    async def erase_member(self, community_id: int, member_id: str) -> None:
        """Delete what this feature keeps about a member (opt-outs live elsewhere and stay)."""
        for table, member in (
            (InvitationRow, _inv.member_id),
            (WelcomeRow, _wel.member_id),
            (InterestRow, _int.member_id),
            (ChampionRow, _cha.member_id),
            (ChampionRequestRow, _req.subject_id),
        ):
            await self._connection.execute(
                delete(table).where(
                    table.__table__.c.community_id == community_id, member == member_id
                )
            )
        await self._connection.execute(
            update(ChampionRequestRow)
            .where(_req.community_id == community_id, _req.champion_id == member_id)
            .values(champion_id=None)
        )
