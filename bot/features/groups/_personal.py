"""What the groups keep about a member, declared for `/terreau me data | export | forget`.

Erasure takes the member out of every group and forgets which groups they proposed
and why; the groups stay, for their other members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.personal_data import PersonalData
from bot.storage import UnitOfWork
from bot.storage.groups import Groups


@dataclass(frozen=True, kw_only=True, slots=True)
class Memberships:
    """The groups the member belongs to."""

    async def count(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Return how many groups the member belongs to."""
        return len(await self.rows(uow, community_id, member_id))

    async def rows(
        self, uow: UnitOfWork, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return those memberships, JSON-ready."""
        return await uow.repository(Groups).memberships(community_id, member_id)

    async def erase(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Take the member out of every group."""
        return await uow.repository(Groups).erase_memberships(community_id, member_id)


@dataclass(frozen=True, kw_only=True, slots=True)
class Proposals:
    """The groups the member proposed, with the reason they gave."""

    async def count(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Return how many groups the member proposed."""
        return len(await self.rows(uow, community_id, member_id))

    async def rows(
        self, uow: UnitOfWork, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return those proposals, JSON-ready."""
        return await uow.repository(Groups).proposals(community_id, member_id)

    async def erase(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Forget the member as proposer, and their reason."""
        return await uow.repository(Groups).erase_proposals(community_id, member_id)


GROUPS_DATA = (
    PersonalData(name="group_memberships", table=Memberships()),
    PersonalData(name="group_proposals", table=Proposals()),
)
"""Group memberships and proposals of a member."""
