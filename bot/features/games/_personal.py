"""What the games keep about a member, declared for `/terreau me data | export | forget`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.personal_data import PersonalData
from bot.storage import MemberTable, UnitOfWork
from bot.storage.games import GameData, GameScoreRow


@dataclass(frozen=True, kw_only=True, slots=True)
class GameRecords:
    """One kind of a member's game records, reached through its round or poll."""

    what: GameData

    async def count(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Return how many of the member's records of this kind there are."""
        return await uow.games.count_member_data(self.what, community_id, member_id)

    async def rows(
        self, uow: UnitOfWork, community_id: int, member_id: str
    ) -> list[dict[str, Any]]:
        """Return the member's records of this kind, JSON-ready."""
        return await uow.games.member_data(self.what, community_id, member_id)

    async def erase(self, uow: UnitOfWork, community_id: int, member_id: str) -> int:
        """Erase the member's records of this kind (see `Games.erase_member_data`)."""
        return await uow.games.erase_member_data(self.what, community_id, member_id)


GAMES_DATA = (
    PersonalData(
        name="game_scores",
        table=MemberTable(model=GameScoreRow),
    ),
    PersonalData(
        name="game_answers",
        table=GameRecords(what="answers"),
    ),
    PersonalData(
        name="game_votes",
        table=GameRecords(what="votes"),
    ),
    PersonalData(
        name="games_hosted",
        table=GameRecords(what="hosted"),
    ),
)
"""Scores, trivia answers, poll votes and guesses, and the games a member ran."""
