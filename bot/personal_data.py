"""What Terreau keeps about members: each kind declared once, for `/terreau me ...`.

A feature that stores rows about members declares them with `App.holds_personal_data`,
so `me data`, `me export` and `me forget` (and the operators' `terreau privacy`)
cover them without knowing the feature.

Most kinds are one table with `community_id` and a member column (`MemberTable`).
The others bring their own queries (`MemberRecords`): rows reached through a join,
or data that erasure pseudonymises instead of deleting, such as election results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from bot.storage import MemberTable, UnitOfWork


class MemberRecords(Protocol):
    """Personal data that no single `MemberTable` describes: it counts and exports itself."""

    async def count(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Return how many records are about the member."""
        ...

    async def rows(
        self, uow: UnitOfWork, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return the member's records, JSON-ready, for their export file."""
        ...


@runtime_checkable
class ErasableRecords(MemberRecords, Protocol):
    """`MemberRecords` that erasure deletes or pseudonymises."""

    async def erase(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Erase the member from these records; return how many records changed."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class PersonalData:
    """One kind of data about a member: where it is and how members are told about it."""

    name: str
    """The section of the export file, e.g. `interactions`; `privacy.kinds.<name>` in
    the prompts explains it in plain words (it receives `count`)."""
    table: MemberTable | MemberRecords
    """Where it lives: one member table, or queries of its own."""
    kept_on_erasure: bool = False
    """True for what erasure must keep, such as a member's opt-out."""

    def __post_init__(self) -> None:
        """Refuse a kind that erasure should remove but that has no way to erase."""
        erasable = isinstance(self.table, MemberTable | ErasableRecords)
        if not self.kept_on_erasure and not erasable:
            raise ValueError(f"personal data {self.name!r} is erased but cannot erase itself")

    @property
    def description(self) -> str:
        """Return the prompt key that explains this kind of data."""
        return f"privacy.kinds.{self.name}"

    async def count(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Return how many records of this kind are about the member."""
        if isinstance(self.table, MemberTable):
            return await uow.privacy.count(self.table, community_id, member_id)
        return await self.table.count(uow, community_id, member_id)

    async def rows(
        self, uow: UnitOfWork, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return the member's records of this kind, JSON-ready."""
        if isinstance(self.table, MemberTable):
            return await uow.privacy.rows(self.table, community_id, member_id)
        return await self.table.rows(uow, community_id, member_id)

    async def erase(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Erase the member's records of this kind; return how many changed."""
        if self.kept_on_erasure:
            raise ValueError(f"personal data {self.name!r} is kept on erasure")
        if isinstance(self.table, MemberTable):
            return await uow.privacy.erase(self.table, community_id, member_id)
        assert isinstance(self.table, ErasableRecords)  # checked in __post_init__
        return await self.table.erase(uow, community_id, member_id)
