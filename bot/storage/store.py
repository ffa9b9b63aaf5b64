"""Features' transactions, with the interaction log settled on request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bot.storage.database import Database
from bot.storage.unit_of_work import UnitOfWork


class Store:
    """Open units of work; `fresh=True` first waits for the log writer's queued rows.

    The log is written in batches, so a read of it right after an event may miss
    that event. Settling before every transaction would undo the batching, so a
    reader of the log says `fresh=True` and the store does the waiting.
    """

    def __init__(self, database: Database, settle: Callable[[], Awaitable[None]]) -> None:
        self._database = database
        self._settle = settle

    @asynccontextmanager
    async def transaction(self, *, fresh: bool = False) -> AsyncIterator[UnitOfWork]:
        """Open a read-write unit of work, after settling the log if `fresh`."""
        if fresh:
            await self._settle()
        async with self._database.transaction() as uow:
            yield uow

    @asynccontextmanager
    async def read(self, *, fresh: bool = False) -> AsyncIterator[UnitOfWork]:
        """Open a read-only unit of work, after settling the log if `fresh`."""
        if fresh:
            await self._settle()
        async with self._database.read() as uow:
            yield uow
