"""What live sessions keep about a member, declared for `/terreau me data | export | forget`.

Erasure deletes the member's questions (and the upvotes on them) and their
upvotes, forgets that they host or were interested in a session, and leaves the
sessions they host without a named owner; the sessions stay for the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.personal_data import PersonalData
from bot.storage import UnitOfWork
from bot.storage.boards import Boards
from bot.storage.live import KIND, LiveSessions


@dataclass(frozen=True, kw_only=True, slots=True)
class Questions:
    """The questions the member asked, with their text."""

    async def count(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Return how many questions the member asked."""
        return len(await self.rows(uow, community_id, member_id))

    async def rows(
        self, uow: UnitOfWork, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return those questions, JSON-ready."""
        return await uow.repository(Boards).member_items(community_id, member_id, KIND)

    async def erase(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Delete the member's questions."""
        return await uow.repository(Boards).erase_items(community_id, member_id, KIND)


@dataclass(frozen=True, kw_only=True, slots=True)
class Upvotes:
    """The questions the member upvoted."""

    async def count(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Return how many upvotes the member gave."""
        return len(await self.rows(uow, community_id, member_id))

    async def rows(
        self, uow: UnitOfWork, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return those upvotes, JSON-ready."""
        return await uow.repository(Boards).member_votes(community_id, member_id, KIND)

    async def erase(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Delete the member's upvotes."""
        return await uow.repository(Boards).erase_votes(community_id, member_id, KIND)


@dataclass(frozen=True, kw_only=True, slots=True)
class Attendance:
    """The sessions the member hosts or said they were interested in."""

    async def count(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Return how many sessions the member hosts or was interested in."""
        return len(await self.rows(uow, community_id, member_id))

    async def rows(
        self, uow: UnitOfWork, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return those sessions, JSON-ready."""
        return await uow.repository(LiveSessions).attendance(community_id, member_id)

    async def erase(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Forget the member as host or interested, and as a session's owner."""
        forgotten = await uow.repository(LiveSessions).erase_attendance(community_id, member_id)
        await uow.repository(Boards).erase_owner(community_id, member_id, KIND)
        return forgotten


LIVE_DATA = (
    PersonalData(name="live_questions", table=Questions()),
    PersonalData(name="live_upvotes", table=Upvotes()),
    PersonalData(name="live_attendance", table=Attendance()),
)
"""A member's questions, upvotes, and the sessions they host or follow."""
