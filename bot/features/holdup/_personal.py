"""What the hold-ups keep about a member, declared for `/terreau me data | export | forget`.

Erasure forgets who brought which problem, with their context, the answers they
wanted and their follow-up; it deletes the member's ideas (and the dots on them)
and their dots. The hold-ups stay, for their other contributors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.features.holdup._rules import BOARD_KIND
from bot.personal_data import PersonalData
from bot.storage import UnitOfWork
from bot.storage.boards import Boards
from bot.storage.holdups import Holdups


@dataclass(frozen=True, kw_only=True, slots=True)
class Requests:
    """The problems the member brought."""

    async def count(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Return how many hold-ups the member brought."""
        return len(await self.rows(uow, community_id, member_id))

    async def rows(
        self, uow: UnitOfWork, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return those hold-ups, with what the member wrote, JSON-ready."""
        return await uow.repository(Holdups).requested(community_id, member_id)

    async def erase(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Forget the member as requester, and what they wrote but the problem."""
        erased = await uow.repository(Holdups).erase_requester(community_id, member_id)
        await uow.repository(Boards).erase_owner(community_id, member_id, BOARD_KIND)
        return erased


@dataclass(frozen=True, kw_only=True, slots=True)
class Ideas:
    """The ideas the member brought to hold-ups."""

    async def count(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Return how many ideas the member brought."""
        return len(await self.rows(uow, community_id, member_id))

    async def rows(
        self, uow: UnitOfWork, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return those ideas, JSON-ready."""
        return await uow.repository(Boards).member_items(community_id, member_id, BOARD_KIND)

    async def erase(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Delete the member's ideas, and the dots on them."""
        return await uow.repository(Boards).erase_items(community_id, member_id, BOARD_KIND)


@dataclass(frozen=True, kw_only=True, slots=True)
class Dots:
    """The dots the member gave to hold-up ideas."""

    async def count(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Return on how many ideas the member put dots."""
        return len(await self.rows(uow, community_id, member_id))

    async def rows(
        self, uow: UnitOfWork, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return those dots, JSON-ready."""
        return await uow.repository(Boards).member_votes(community_id, member_id, BOARD_KIND)

    async def erase(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Delete the member's dots."""
        return await uow.repository(Boards).erase_votes(community_id, member_id, BOARD_KIND)


HOLDUP_DATA = (
    PersonalData(name="holdup_requests", table=Requests()),
    PersonalData(name="holdup_ideas", table=Ideas()),
    PersonalData(name="holdup_dots", table=Dots()),
)
"""The hold-ups a member brought, their ideas and their dots."""
