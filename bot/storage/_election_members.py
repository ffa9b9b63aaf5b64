"""A member's own election records, for their data requests, and erasing them.

Erasure keeps every count right. A ballot never held a member id (only a voter key,
wiped at the announcement), so it stays counted. Nominations the member made or
received go. Where the member stands as a candidate or winner in a finished election
(candidates, results, ballots' rankings, the hall of fame, the audit log), their id
becomes a random pseudonym, the same one everywhere, so the tallies are unchanged
and the hall of fame keeps its entry under a neutral label.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, Literal

from sqlalchemy import ColumnElement, delete, insert, or_, select, update

from bot.storage._base import Repository
from bot.storage._election_tables import (
    FORMER_MEMBER,
    RUNNING_PHASES,
    ElectionAuditRow,
    ElectionRow,
    ElectionSecretRow,
    NominationRow,
    VoteRow,
    WinnerRow,
    voter_key,
)

log = logging.getLogger(__name__)

ErasedElectionData = Literal["nominations", "results", "actions"]
"""Nominations made or received; finished results naming the member; audit entries
of what they did."""
ElectionData = ErasedElectionData | Literal["ballots"]
"""The above, and the member's ballots not yet sealed (kept on erasure)."""

UNSEALED = ("voting", "closed")
"""Phases whose ballots still carry their voter key."""

_e = ElectionRow.__table__.c
_s = ElectionSecretRow.__table__.c
_n = NominationRow.__table__.c
_v = VoteRow.__table__.c
_w = WinnerRow.__table__.c
_a = ElectionAuditRow.__table__.c

_ONE_MEMBER = ("nominee", "winner")
_MEMBER_LISTS = ("candidates", "winners", "tied", "members")


def _renamed(record: dict[str, Any] | None, old: str, new: str) -> dict[str, Any] | None:
    """Return a result or audit detail with member `old` written as `new`."""
    if record is None:
        return None
    out = dict(record)
    for key in _ONE_MEMBER:
        if out.get(key) == old:
            out[key] = new
    for key in _MEMBER_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [new if member == old else member for member in out[key]]
    if isinstance(out.get("rounds"), list):
        out["rounds"] = [
            {(new if member == old else member): votes for member, votes in counts.items()}
            for counts in out["rounds"]
        ]
    return out


def _names_member(record: dict[str, Any] | None, member_id: str) -> bool:
    return record is not None and _renamed(record, member_id, FORMER_MEMBER) != record


class MemberElectionQueries(Repository):
    """Count, export and erase one member's election records in one community."""

    async def member_data(
        self, what: ElectionData, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return the member's records of `what`, JSON-ready, oldest first."""
        if what == "nominations":
            return await self._nomination_rows(community_id, member_id)
        if what == "ballots":
            return await self._ballot_rows(community_id, member_id)
        if what == "results":
            return await self._result_rows(community_id, member_id)
        stmt = (
            select(_a.action, _a.at)
            .where(_a.community_id == community_id, _a.actor_id == member_id)
            .order_by(_a.id)
        )
        return [
            {"action": row.action, "at": row.at.isoformat()}
            for row in await self._connection.execute(stmt)
        ]

    async def erase_member_data(
        self, what: ErasedElectionData, community_id: int, member_id: str
    ) -> int:
        """Erase the member from the records of `what`; return how many records changed.

        - nominations: those of the member go, and a vote still open drops them from its
          candidates (ballots left with no candidate are withdrawn, as by "start over").
          Those the member made go from finished elections; in an election not yet
          announced they stay, for the nominee's sake, without the member or their reason.
        - results: finished elections, their ballots, the hall of fame and the audit log
          name a pseudonym instead of the member.
        - actions: the audit log and the elections they started no longer name them.
        """
        if what == "nominations":
            return await self._erase_nominations(community_id, member_id)
        if what == "results":
            return await self._pseudonymise(community_id, member_id)
        actions = await self._connection.execute(
            update(ElectionAuditRow)
            .where(_a.community_id == community_id, _a.actor_id == member_id)
            .values(actor_id=None)
        )
        await self._connection.execute(
            update(ElectionRow)
            .where(_e.community_id == community_id, _e.created_by == member_id)
            .values(created_by=None)
        )
        return actions.rowcount

    # -- reading

    async def _nomination_rows(self, community_id: int, member_id: str) -> list[dict[str, Any]]:
        stmt = (
            select(_e.period, _n.nominee_name, _n.nominator_id, _n.reason, _n.created_at)
            .join_from(NominationRow, ElectionRow, _n.election_id == _e.id)
            .where(_e.community_id == community_id, _mine(member_id))
            .order_by(_n.id)
        )
        return [
            {
                "period": row.period,
                "nominee": row.nominee_name,
                "reason": row.reason,
                "made_by_you": row.nominator_id == member_id,
                "created_at": row.created_at.isoformat(),
            }
            for row in await self._connection.execute(stmt)
        ]

    async def _ballot_rows(self, community_id: int, member_id: str) -> list[dict[str, Any]]:
        found = select(_s.secret).where(_s.community_id == community_id)
        secret = (await self._connection.execute(found)).scalar_one_or_none()
        if secret is None:
            return []
        elections = select(_e.id, _e.period, _e.round).where(
            _e.community_id == community_id, _e.phase.in_(UNSEALED)
        )
        ballots = []
        for election in await self._connection.execute(elections.order_by(_e.id)):
            key = voter_key(bytes.fromhex(secret), election.id, member_id)
            stmt = select(_v.ranking, _v.cast_at, _v.updated_at).where(
                _v.election_id == election.id, _v.voter_key == key
            )
            for row in await self._connection.execute(stmt):
                ballots.append(
                    {
                        "period": election.period,
                        "round": election.round,
                        "ranking": list(row.ranking),
                        "cast_at": row.cast_at.isoformat(),
                        "updated_at": row.updated_at.isoformat(),
                    }
                )
        return ballots

    async def _result_rows(self, community_id: int, member_id: str) -> list[dict[str, Any]]:
        rows = []
        for election in await self._finished(community_id):
            candidates = list(election.candidates or [])
            if member_id not in candidates and not _names_member(election.result, member_id):
                continue
            result = dict(election.result or {})
            rounds = result.get("rounds") or [{}]
            rows.append(
                {
                    "period": election.period,
                    "round": election.round,
                    "phase": election.phase,
                    "first_round_votes": rounds[0].get(member_id),
                    "won": member_id in result.get("winners", []),
                }
            )
        return rows

    async def _finished(self, community_id: int) -> list[Any]:
        stmt = (
            select(_e.id, _e.period, _e.round, _e.phase, _e.candidates, _e.result)
            .where(_e.community_id == community_id, _e.phase.not_in(RUNNING_PHASES))
            .order_by(_e.id)
        )
        return list(await self._connection.execute(stmt))

    # -- erasing

    async def _erase_nominations(self, community_id: int, member_id: str) -> int:
        await self._withdraw(community_id, member_id)
        elections = select(_e.id).where(_e.community_id == community_id)
        unfinished = elections.where(_e.phase.in_((*RUNNING_PHASES, "closed")))
        received = await self._connection.execute(
            delete(NominationRow).where(_n.election_id.in_(elections), _n.nominee_id == member_id)
        )
        made_before = await self._connection.execute(
            delete(NominationRow).where(
                _n.election_id.in_(elections),
                _n.election_id.not_in(unfinished),
                _n.nominator_id == member_id,
            )
        )
        made_now = await self._connection.execute(
            update(NominationRow)
            .where(_n.election_id.in_(unfinished), _n.nominator_id == member_id)
            .values(nominator_id=_pseudonym(), reason="")
        )
        return received.rowcount + made_before.rowcount + made_now.rowcount

    async def _withdraw(self, community_id: int, member_id: str) -> None:
        """Take the member off the candidates of a vote still open."""
        stmt = select(_e.id, _e.candidates).where(
            _e.community_id == community_id, _e.phase == "voting"
        )
        for election in list(await self._connection.execute(stmt)):
            candidates = list(election.candidates or [])
            if member_id not in candidates:
                continue
            remaining = [c for c in candidates if c != member_id]
            await self._connection.execute(
                update(ElectionRow).where(_e.id == election.id).values(candidates=remaining)
            )
            ballots = select(_v.id, _v.ranking).where(_v.election_id == election.id)
            for ballot in list(await self._connection.execute(ballots)):
                ranking = list(ballot.ranking)
                if member_id not in ranking:
                    continue
                kept = [c for c in ranking if c != member_id]
                change = (
                    update(VoteRow).where(_v.id == ballot.id).values(ranking=kept)
                    if kept
                    else delete(VoteRow).where(_v.id == ballot.id)
                )
                await self._connection.execute(change)
            await self._connection.execute(
                insert(ElectionAuditRow).values(
                    community_id=community_id,
                    election_id=election.id,
                    action="candidate_withdrawn",
                    detail={"candidates": len(remaining)},
                    at=self._clock.now(),
                )
            )

    async def _pseudonymise(self, community_id: int, member_id: str) -> int:
        former = _pseudonym()
        changed = 0
        for election in await self._finished(community_id):
            candidates = list(election.candidates or [])
            if member_id not in candidates and not _names_member(election.result, member_id):
                continue
            changed += 1
            await self._connection.execute(
                update(ElectionRow)
                .where(_e.id == election.id)
                .values(
                    candidates=(
                        None
                        if election.candidates is None
                        else [former if c == member_id else c for c in candidates]
                    ),
                    result=_renamed(election.result, member_id, former),
                )
            )
            ballots = select(_v.id, _v.ranking).where(_v.election_id == election.id)
            for ballot in list(await self._connection.execute(ballots)):
                if member_id in ballot.ranking:
                    ranking = [former if c == member_id else c for c in ballot.ranking]
                    await self._connection.execute(
                        update(VoteRow).where(_v.id == ballot.id).values(ranking=ranking)
                    )
        await self._connection.execute(
            update(WinnerRow)
            .where(_w.community_id == community_id, _w.member_id == member_id)
            .values(member_id=former, display_name="")
        )
        details = select(_a.id, _a.detail).where(
            _a.community_id == community_id, _a.detail.is_not(None)
        )
        for entry in list(await self._connection.execute(details)):
            if _names_member(entry.detail, member_id):
                await self._connection.execute(
                    update(ElectionAuditRow)
                    .where(_a.id == entry.id)
                    .values(detail=_renamed(entry.detail, member_id, former))
                )
        return changed


def _mine(member_id: str) -> ColumnElement[bool]:
    return or_(_n.nominator_id == member_id, _n.nominee_id == member_id)


def _pseudonym() -> str:
    return f"{FORMER_MEMBER}{secrets.token_hex(8)}"
