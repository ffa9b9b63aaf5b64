"""Is this Terreau ready to serve: started, database answering, scheduler alive, platforms up."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from bot.observability._hooks import ReportsConnection
from bot.ports import ChatPlatform
from bot.scheduling import Scheduler
from bot.storage import Database

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0
"""Seconds a check may take before it counts as failed (a probe must answer quickly)."""


async def readiness(
    *,
    started: bool,
    database: Database,
    scheduler: Scheduler,
    platforms: Mapping[str, ChatPlatform],
    patience: float = CHECK_TIMEOUT,
) -> dict[str, bool]:
    """Return each check by name (`started`, `database`, `scheduler`, `platform:<name>`)."""
    checks = {"started": started, "database": await _answers(database, patience)}
    checks["scheduler"] = scheduler.running
    for name, platform in sorted(platforms.items()):
        checks[f"platform:{name}"] = started and await _connected(platform, patience)
    return checks


async def _answers(database: Database, patience: float) -> bool:
    try:
        async with asyncio.timeout(patience):
            await database.ping()
    except Exception as error:  # any failure means "not ready"; the reason goes to the log
        log.warning("readiness: the database does not answer: %s", error)
        return False
    return True


async def _connected(platform: ChatPlatform, patience: float) -> bool:
    if not isinstance(platform, ReportsConnection):
        return True  # an adapter without a connection to lose (the console) is up once started
    try:
        async with asyncio.timeout(patience):
            return await platform.connected()
    except Exception as error:
        log.warning("readiness: %s could not say whether it is connected: %s", platform.name, error)
        return False
