"""The database as `terreau doctor` checks it: reachable, and at this version's schema."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.doctor._findings import Finding, Findings
from bot.storage.database import DatabaseUnavailable
from bot.storage.migrate import schema_status

log = logging.getLogger(__name__)


async def examine_database(url: str, config: Path) -> list[Finding]:
    """Open the database at `url` and compare its schema revision with the code's."""
    found = Findings("database")
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        current, head = await schema_status(url)
    except (DatabaseUnavailable, SQLAlchemyError, OSError) as error:
        found.problem("database.unreachable", url=shown, error=str(error).splitlines()[0])
        return found.found
    found.ok("database.reachable", url=shown)
    if current == head:
        found.ok("database.schema_current", revision=head)
    else:
        found.problem("database.schema_outdated", current=current or "", head=head, config=config)
    return found.found
