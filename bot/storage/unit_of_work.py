"""The unit of work: one transaction and the repositories that act inside it."""

from __future__ import annotations

from functools import cached_property
from typing import TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ports import Clock
from bot.storage._base import Repository
from bot.storage._deliveries import Deliveries
from bot.storage._interactions import Interactions
from bot.storage._rotation import Rotation
from bot.storage.activity import ActivityLevels
from bot.storage.election import Elections
from bot.storage.games import Games
from bot.storage.icebreaker import Icebreakers
from bot.storage.platform_state import GatewaySessions, ScreeningHolds
from bot.storage.privacy import Privacy
from bot.storage.repositories import (
    Channels,
    Communities,
    Ledger,
    Members,
    OptOuts,
    Outbox,
    Rituals,
)

R = TypeVar("R", bound=Repository)


class UnitOfWork:
    """Repositories sharing one open transaction; `Database.transaction()` yields it.

    `connection` is storage's and the analytics' own: features run no statements,
    they call repository methods (a test walks `bot/features/` to keep it so).
    """

    def __init__(self, connection: AsyncConnection, clock: Clock) -> None:
        self.connection = connection
        self.clock = clock
        self._repositories: dict[type[Repository], Repository] = {}

    def repository(self, kind: type[R]) -> R:
        """Return the repository `kind` acting in this transaction (one per kind).

        A new feature reaches its own repository this way (`uow.repository(Cafes)`),
        so adding one needs no property here.
        """
        found = self._repositories.get(kind)
        if found is None:
            found = self._repositories[kind] = kind(self.connection, self.clock)
        return cast(R, found)

    @cached_property
    def communities(self) -> Communities:
        """Return the communities repository."""
        return Communities(self.connection, self.clock)

    @cached_property
    def members(self) -> Members:
        """Return the members repository."""
        return Members(self.connection, self.clock)

    @cached_property
    def channels(self) -> Channels:
        """Return the channels repository."""
        return Channels(self.connection, self.clock)

    @cached_property
    def ledger(self) -> Ledger:
        """Return the run ledger."""
        return Ledger(self.connection, self.clock)

    @cached_property
    def outbox(self) -> Outbox:
        """Return the outbox."""
        return Outbox(self.connection, self.clock)

    @cached_property
    def deliveries(self) -> Deliveries:
        """Return the claims on command and click deliveries."""
        return Deliveries(self.connection, self.clock)

    @cached_property
    def rituals(self) -> Rituals:
        """Return the ritual state repository."""
        return Rituals(self.connection, self.clock)

    @cached_property
    def rotation(self) -> Rotation:
        """Return the content rotation repository."""
        return Rotation(self.connection, self.clock)

    @cached_property
    def optouts(self) -> OptOuts:
        """Return the opt-outs repository."""
        return OptOuts(self.connection, self.clock)

    @cached_property
    def interactions(self) -> Interactions:
        """Return the interaction log queries."""
        return Interactions(self.connection, self.clock)

    @cached_property
    def privacy(self) -> Privacy:
        """Return the members' data rights and retention repository."""
        return Privacy(self.connection, self.clock)

    @cached_property
    def games(self) -> Games:
        """Return the games repository (rounds, polls, votes, scores)."""
        return Games(self.connection, self.clock)

    @cached_property
    def elections(self) -> Elections:
        """Return the member-of-the-month repository."""
        return Elections(self.connection, self.clock)

    @cached_property
    def activity(self) -> ActivityLevels:
        """Return activity summaries and monthly level snapshots."""
        return ActivityLevels(self.connection, self.clock)

    @cached_property
    def icebreaker(self) -> Icebreakers:
        """Return icebreaker invitations, welcomes, interests and champions."""
        return Icebreakers(self.connection, self.clock)

    @cached_property
    def gateway_sessions(self) -> GatewaySessions:
        """Return the platforms' saved gateway sessions, per shard."""
        return GatewaySessions(self.connection, self.clock)

    @cached_property
    def screening(self) -> ScreeningHolds:
        """Return the members held at a platform's rules screening."""
        return ScreeningHolds(self.connection, self.clock)
