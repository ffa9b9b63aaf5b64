"""What the café keeps about members: taking part, exclusions, and whom they met.

Erasure deletes the first two and pseudonymises the seats, so the other
members' history (whom they met, whether a pair repeats) stays correct.
"""

from __future__ import annotations

from typing import Any

from bot.personal_data import PersonalData
from bot.storage import MemberTable, UnitOfWork
from bot.storage.cafe import AvoidRow, Cafes, ParticipantRow


class CafeHistory:
    """A member's seats in café groups: counted, exported, pseudonymised on erasure."""

    async def count(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Return how many café groups the member sat in."""
        return await uow.repository(Cafes).seat_count(community_id, member_id)

    async def rows(
        self, uow: UnitOfWork, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return the member's cafés: when, with whom, and what they answered."""
        return await uow.repository(Cafes).seat_history(community_id, member_id)

    async def erase(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Replace the member by a pseudonym in their seats; return how many changed."""
        return await uow.repository(Cafes).pseudonymise(community_id, member_id)


KINDS = (
    PersonalData(name="cafe_participation", table=MemberTable(model=ParticipantRow)),
    PersonalData(name="cafe_avoid", table=MemberTable(model=AvoidRow)),
    PersonalData(name="cafe_history", table=CafeHistory()),
)
"""The café's kinds of personal data, in the order exports list them."""
