"""The member-of-the-month repository: elections, nominations, ballots, winners, audit log.

A vote row never holds a member id: its key is an HMAC of the member id under a
per-community secret, and the key is wiped when the election is announced, so a
sealed ballot cannot be traced back to anyone.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row

from bot.storage._election_figures import ElectionFigureQueries
from bot.storage._election_members import (
    ElectionData,
    ErasedElectionData,
    MemberElectionQueries,
)
from bot.storage._election_tables import (
    ELECTION_PHASES,
    FORMER_MEMBER,
    RUNNING_PHASES,
    AuditEntry,
    ElectionAuditRow,
    ElectionRecord,
    ElectionRow,
    ElectionSecretRow,
    NominationRecord,
    NominationRow,
    VoteRecord,
    VoteRow,
    WinnerRecord,
    WinnerRow,
    is_former_member,
    voter_key,
)

log = logging.getLogger(__name__)

__all__ = [
    "ELECTION_PHASES",
    "FORMER_MEMBER",
    "RUNNING_PHASES",
    "AuditEntry",
    "ElectionAuditRow",
    "ElectionData",
    "ElectionRecord",
    "ElectionRow",
    "ElectionSecretRow",
    "Elections",
    "ErasedElectionData",
    "NominationRecord",
    "NominationRow",
    "VoteRecord",
    "VoteRow",
    "WinnerRecord",
    "WinnerRow",
    "is_former_member",
    "voter_key",
]


_e = ElectionRow.__table__.c
_s = ElectionSecretRow.__table__.c
_n = NominationRow.__table__.c
_v = VoteRow.__table__.c
_w = WinnerRow.__table__.c
_a = ElectionAuditRow.__table__.c


class Elections(ElectionFigureQueries, MemberElectionQueries):
    """Elections, nominations, pseudonymous votes, winners and the audit log."""

    async def secret(self, community_id: int) -> bytes:
        """Return the community's voter-key secret, creating it on first use (race-safe)."""
        stmt = (
            self._insert(ElectionSecretRow.__table__)
            .values(
                community_id=community_id,
                secret=secrets.token_hex(32),
                created_at=self._clock.now(),
            )
            .on_conflict_do_nothing(index_elements=[_s.community_id])
        )
        await self._connection.execute(stmt)
        found = select(_s.secret).where(_s.community_id == community_id)
        return bytes.fromhex((await self._connection.execute(found)).scalar_one())

    async def open(
        self,
        *,
        community_id: int,
        slot: str,
        period: str,
        method: str,
        tie_policy: str,
        nominations_open_at: datetime,
        voting_opens_at: datetime,
        closes_at: datetime,
        created_by: str | None,
        phase: str = "nominating",
        round: int = 0,
        parent_id: int | None = None,
        candidates: tuple[str, ...] | None = None,
    ) -> ElectionRecord | None:
        """Create an election; None when the slot is taken or another one is running."""
        stmt = (
            self._insert(ElectionRow.__table__)
            .values(
                community_id=community_id,
                slot=slot,
                period=period,
                round=round,
                parent_id=parent_id,
                phase=phase,
                method=method,
                tie_policy=tie_policy,
                nominations_open_at=nominations_open_at,
                voting_opens_at=voting_opens_at,
                closes_at=closes_at,
                candidates=list(candidates) if candidates is not None else None,
                created_at=self._clock.now(),
                created_by=created_by,
            )
            .on_conflict_do_nothing()
            .returning(*ElectionRow.__table__.c)
        )
        row = (await self._connection.execute(stmt)).first()
        return None if row is None else _election(row)

    async def get(self, election_id: int) -> ElectionRecord | None:
        """Return one election, or None."""
        stmt = select(ElectionRow.__table__).where(_e.id == election_id)
        row = (await self._connection.execute(stmt)).first()
        return None if row is None else _election(row)

    async def running(self, community_id: int) -> ElectionRecord | None:
        """Return the community's election in nominations or voting, if any."""
        stmt = select(ElectionRow.__table__).where(
            _e.community_id == community_id, _e.phase.in_(RUNNING_PHASES)
        )
        row = (await self._connection.execute(stmt)).first()
        return None if row is None else _election(row)

    async def latest(self, community_id: int) -> ElectionRecord | None:
        """Return the community's most recent election, whatever its phase."""
        stmt = (
            select(ElectionRow.__table__)
            .where(_e.community_id == community_id)
            .order_by(_e.id.desc())
            .limit(1)
        )
        row = (await self._connection.execute(stmt)).first()
        return None if row is None else _election(row)

    async def unfinished(self, community_id: int) -> list[ElectionRecord]:
        """Return the elections not yet announced or cancelled, oldest first."""
        stmt = (
            select(ElectionRow.__table__)
            .where(_e.community_id == community_id, _e.phase.in_((*RUNNING_PHASES, "closed")))
            .order_by(_e.id)
        )
        return [_election(row) for row in await self._connection.execute(stmt)]

    async def move(self, election_id: int, from_phase: str, to_phase: str, **values: Any) -> bool:
        """Change phase only if still in `from_phase` (compare-and-set); False if not."""
        if to_phase not in ELECTION_PHASES:
            raise ValueError(f"phase must be one of {ELECTION_PHASES}, got {to_phase!r}")
        if "candidates" in values and values["candidates"] is not None:
            values["candidates"] = list(values["candidates"])
        stmt = (
            update(ElectionRow)
            .where(_e.id == election_id, _e.phase == from_phase)
            .values(phase=to_phase, **values)
            .returning(_e.id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def reschedule(
        self, election_id: int, phase: str, *, voting_opens_at: datetime, closes_at: datetime
    ) -> bool:
        """Set new phase deadlines if the election is still in `phase`."""
        stmt = (
            update(ElectionRow)
            .where(_e.id == election_id, _e.phase == phase)
            .values(voting_opens_at=voting_opens_at, closes_at=closes_at)
            .returning(_e.id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def nominate(
        self,
        election_id: int,
        *,
        nominee_id: str,
        nominee_name: str,
        nominator_id: str,
        reason: str,
    ) -> bool:
        """Record a nomination; False if this nominator already nominated this member."""
        stmt = (
            self._insert(NominationRow.__table__)
            .values(
                election_id=election_id,
                nominee_id=nominee_id,
                nominee_name=nominee_name,
                nominator_id=nominator_id,
                reason=reason,
                created_at=self._clock.now(),
            )
            .on_conflict_do_nothing(index_elements=[_n.election_id, _n.nominee_id, _n.nominator_id])
            .returning(_n.id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def nominations(self, election_id: int) -> list[NominationRecord]:
        """Return an election's nominations in the order they came."""
        stmt = select(NominationRow.__table__).where(_n.election_id == election_id).order_by(_n.id)
        return [
            NominationRecord(
                nominee_id=row.nominee_id,
                nominee_name=row.nominee_name,
                nominator_id=row.nominator_id,
                reason=row.reason,
                created_at=row.created_at,
            )
            for row in await self._connection.execute(stmt)
        ]

    async def cast(self, election_id: int, voter_key: str, ranking: tuple[str, ...]) -> None:
        """Store a ballot; a voter who votes again replaces their ballot (one row each)."""
        now = self._clock.now()
        stmt = self._insert(VoteRow.__table__).values(
            election_id=election_id,
            voter_key=voter_key,
            ranking=list(ranking),
            cast_at=now,
            updated_at=now,
        )
        await self._connection.execute(
            stmt.on_conflict_do_update(
                index_elements=[_v.election_id, _v.voter_key],
                set_={"ranking": stmt.excluded.ranking, "updated_at": stmt.excluded.updated_at},
            )
        )

    async def vote_of(self, election_id: int, voter_key: str) -> VoteRecord | None:
        """Return the ballot stored under `voter_key`, if any."""
        stmt = select(_v.ranking, _v.cast_at, _v.updated_at).where(
            _v.election_id == election_id, _v.voter_key == voter_key
        )
        row = (await self._connection.execute(stmt)).first()
        if row is None:
            return None
        return VoteRecord(
            ranking=tuple(row.ranking), cast_at=row.cast_at, updated_at=row.updated_at
        )

    async def withdraw(self, election_id: int, voter_key: str) -> bool:
        """Delete the ballot under `voter_key`; False if there was none."""
        stmt = (
            delete(VoteRow)
            .where(_v.election_id == election_id, _v.voter_key == voter_key)
            .returning(_v.id)
        )
        return (await self._connection.execute(stmt)).first() is not None

    async def ballots(self, election_id: int) -> list[tuple[str, ...]]:
        """Return every ballot's ranking, in a fixed order that reveals nothing."""
        stmt = select(_v.ranking).where(_v.election_id == election_id).order_by(_v.id)
        return [tuple(ranking) for ranking in (await self._connection.execute(stmt)).scalars()]

    async def seal(self, election_id: int) -> int:
        """Wipe the voter keys of an election whose result is final; return how many."""
        stmt = (
            update(VoteRow)
            .where(_v.election_id == election_id, _v.voter_key.is_not(None))
            .values(voter_key=None)
        )
        return (await self._connection.execute(stmt)).rowcount

    async def add_winner(
        self,
        election_id: int,
        *,
        community_id: int,
        member_id: str,
        display_name: str,
        period: str,
    ) -> None:
        """Enter a winner in the hall of fame (once per election and member)."""
        stmt = (
            self._insert(WinnerRow.__table__)
            .values(
                election_id=election_id,
                member_id=member_id,
                community_id=community_id,
                display_name=display_name,
                period=period,
                won_at=self._clock.now(),
            )
            .on_conflict_do_nothing(index_elements=[_w.election_id, _w.member_id])
        )
        await self._connection.execute(stmt)

    async def winners(self, community_id: int, *, limit: int = 24) -> list[WinnerRecord]:
        """Return the latest winners of a community, newest first."""
        stmt = (
            select(WinnerRow.__table__)
            .where(_w.community_id == community_id)
            .order_by(_w.won_at.desc(), _w.display_name)
            .limit(limit)
        )
        return [_winner(row) for row in await self._connection.execute(stmt)]

    async def last_win(self, community_id: int, member_id: str) -> WinnerRecord | None:
        """Return a member's most recent win, if any."""
        stmt = (
            select(WinnerRow.__table__)
            .where(_w.community_id == community_id, _w.member_id == member_id)
            .order_by(_w.period.desc())
            .limit(1)
        )
        row = (await self._connection.execute(stmt)).first()
        return None if row is None else _winner(row)

    async def audit(
        self,
        community_id: int,
        election_id: int | None,
        action: str,
        *,
        actor_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Write one line to the audit log."""
        await self._connection.execute(
            insert(ElectionAuditRow).values(
                community_id=community_id,
                election_id=election_id,
                action=action,
                actor_id=actor_id,
                detail=detail,
                at=self._clock.now(),
            )
        )

    async def audit_log(self, community_id: int) -> list[AuditEntry]:
        """Return a community's audit log, oldest first."""
        stmt = (
            select(ElectionAuditRow.__table__)
            .where(_a.community_id == community_id)
            .order_by(_a.id)
        )
        return [
            AuditEntry(
                election_id=row.election_id,
                action=row.action,
                actor_id=row.actor_id,
                detail=row.detail,
                at=row.at,
            )
            for row in await self._connection.execute(stmt)
        ]

    async def count_votes(self, election_id: int) -> int:
        """Return how many ballots an election holds."""
        stmt = select(func.count()).where(_v.election_id == election_id)
        return int((await self._connection.execute(stmt)).scalar_one())


def _election(row: Row[tuple[object, ...]]) -> ElectionRecord:
    m = row._mapping
    candidates = m["candidates"]
    return ElectionRecord(
        id=m["id"],
        community_id=m["community_id"],
        slot=m["slot"],
        period=m["period"],
        round=m["round"],
        parent_id=m["parent_id"],
        phase=m["phase"],
        method=m["method"],
        tie_policy=m["tie_policy"],
        nominations_open_at=m["nominations_open_at"],
        voting_opens_at=m["voting_opens_at"],
        closes_at=m["closes_at"],
        closed_at=m["closed_at"],
        announced_at=m["announced_at"],
        candidates=tuple(candidates) if candidates is not None else None,
        result=m["result"],
        created_at=m["created_at"],
        created_by=m["created_by"],
    )


def _winner(row: Row[tuple[object, ...]]) -> WinnerRecord:
    m = row._mapping
    return WinnerRecord(
        election_id=m["election_id"],
        member_id=m["member_id"],
        display_name=m["display_name"],
        period=m["period"],
        won_at=m["won_at"],
    )
