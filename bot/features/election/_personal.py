"""What the elections keep about a member, declared for `/terreau me data | export | forget`.

Erasure keeps every election count right: a ballot stays counted (it never held the
member's id), and past results name a pseudonym instead of the member (see
`bot/storage/_election_members.py`). Election records are few (a handful a month),
so they are counted by reading them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.personal_data import PersonalData
from bot.storage import UnitOfWork
from bot.storage.election import ErasedElectionData


@dataclass(frozen=True, kw_only=True, slots=True)
class ElectionRecords:
    """Nominations, finished results or audit entries about the member."""

    what: ErasedElectionData

    async def count(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Return how many of the member's records of this kind there are."""
        return len(await self.rows(uow, community_id, member_id))

    async def rows(
        self, uow: UnitOfWork, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return the member's records of this kind, JSON-ready."""
        return await uow.elections.member_data(self.what, community_id, member_id)

    async def erase(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Erase or pseudonymise the member in these records (`erase_member_data`)."""
        return await uow.elections.erase_member_data(self.what, community_id, member_id)


@dataclass(frozen=True, kw_only=True, slots=True)
class UnsealedBallots:
    """The member's ballots in elections not yet announced, found by their voter key."""

    async def count(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Return how many ballots the member has in elections not yet announced."""
        return len(await self.rows(uow, community_id, member_id))

    async def rows(
        self, uow: UnitOfWork, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return those ballots, JSON-ready."""
        return await uow.elections.member_data("ballots", community_id, member_id)


ELECTION_DATA = (
    PersonalData(
        name="election_nominations",
        table=ElectionRecords(what="nominations"),
    ),
    PersonalData(
        name="election_ballots",
        table=UnsealedBallots(),
        # Kept so the vote is counted once: its key holds no member id and is wiped
        # when the result is announced, like every other ballot's.
        kept_on_erasure=True,
    ),
    PersonalData(
        name="election_results",
        table=ElectionRecords(what="results"),
    ),
    PersonalData(
        name="election_actions",
        table=ElectionRecords(what="actions"),
    ),
)
"""Nominations, ballots, past results and logged actions of a member."""
