"""Members' data requests: what is kept about me, a copy of it, erasing it."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.personal_data import PersonalData
from bot.storage import MemberTable
from bot.storage.models import ActivityDailyRow, InteractionLogRow, MemberRow, OptOutRow
from bot.storage.platform_state import ScreeningHoldRow

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

CORE_DATA = (
    PersonalData(
        name="interactions",
        table=MemberTable(model=InteractionLogRow),
    ),
    PersonalData(
        name="daily_activity",
        table=MemberTable(model=ActivityDailyRow),
    ),
    PersonalData(
        name="profile",
        table=MemberTable(model=MemberRow),
    ),
    PersonalData(
        name="optouts",
        table=MemberTable(model=OptOutRow),
        kept_on_erasure=True,
    ),
    PersonalData(
        name="screening",
        table=MemberTable(model=ScreeningHoldRow),
    ),
)
"""What the core keeps about members; features declare theirs in their `setup`."""

ERASURE_CONFIRMATION = timedelta(minutes=15)
"""How long a member has to confirm `/terreau me forget`."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_STAMP = "%Y%m%dT%H%M%SZ"
_EXPORT_NAME = re.compile(r"terreau-export-(\d{8}T\d{6}Z)-[0-9a-f]{16}\.json")


@dataclass(frozen=True, kw_only=True, slots=True)
class Held:
    """How many rows of one kind of data are kept about a member."""

    kind: PersonalData
    count: int


class PrivacyService:
    """Counts, exports and erases one member's data in one community."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app

    async def held(self, community_key: str, member_id: str) -> list[Held]:
        """Return each kind of data with how many rows are kept about the member."""
        community_id = self._app.community_id(community_key)
        async with self._app.store.read(fresh=True) as uow:
            return [
                Held(kind=kind, count=await kind.count(uow, community_id, member_id))
                for kind in self._app.personal_data
            ]

    async def export(self, community_key: str, member_id: str, *, operator: bool = False) -> Path:
        """Write everything kept about the member to a new JSON file and return its path.

        The file name is unguessable; the daily purge deletes it after
        `export_retention_hours`.
        """
        community_id = self._app.community_id(community_key)
        now = self._app.clock.now()
        sections: dict[str, list[dict[str, Any]]] = {}
        async with self._app.store.read(fresh=True) as uow:
            for kind in self._app.personal_data:
                sections[kind.name] = await kind.rows(uow, community_id, member_id)
        document = {
            "community": community_key,
            "member_id": member_id,
            "exported_at": now.isoformat(),
            "data": sections,
        }
        folder = export_folder(self._app.settings.export_dir, community_key)
        path = folder / f"terreau-export-{now.astimezone(UTC):{_STAMP}}-{secrets.token_hex(8)}.json"
        text = json.dumps(document, ensure_ascii=False, indent=2)
        await asyncio.to_thread(_write_private, path, text)
        async with self._app.store.transaction() as uow:
            await uow.privacy.audit(
                community_id,
                "operator_export" if operator else "export",
                {"rows": {name: len(rows) for name, rows in sections.items()}},
            )
        log.info("%s: a member's data was exported (%s)", community_key, path.name)
        return path

    async def request_erasure(self, community_key: str, member_id: str) -> None:
        """Record that the member asked to erase their data; they must confirm it."""
        community_id = self._app.community_id(community_key)
        async with self._app.store.transaction() as uow:
            await uow.privacy.request_erasure(community_id, member_id, self._app.clock.now())

    async def cancel_erasure(self, community_key: str, member_id: str) -> bool:
        """Drop a pending request; return whether there was one."""
        community_id = self._app.community_id(community_key)
        async with self._app.store.transaction() as uow:
            return await uow.privacy.cancel_erasure(community_id, member_id)

    async def erasure_pending(self, community_key: str, member_id: str) -> bool:
        """Tell whether the member asked for erasure recently enough to confirm it now."""
        community_id = self._app.community_id(community_key)
        since = self._app.clock.now() - ERASURE_CONFIRMATION
        async with self._app.store.read() as uow:
            return await uow.privacy.erasure_requested(community_id, member_id, since)

    async def forget(
        self, community_key: str, member_id: str, *, operator: bool = False
    ) -> dict[str, int]:
        """Erase the member's data (opt-outs are kept) in one transaction; return counts."""
        community_id = self._app.community_id(community_key)
        counts: dict[str, int] = {}
        async with self._app.store.transaction(fresh=True) as uow:
            for kind in self._app.personal_data:
                if not kind.kept_on_erasure:
                    counts[kind.name] = await kind.erase(uow, community_id, member_id)
            await uow.privacy.cancel_erasure(community_id, member_id)
            await uow.privacy.audit(
                community_id, "forget", {"rows": counts, "by": "operator" if operator else "member"}
            )
        log.info("%s: a member's data was erased (%d rows)", community_key, sum(counts.values()))
        return counts


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


def export_time(name: str) -> datetime | None:
    """Return when an export file was made, from its name; None for other files."""
    match = _EXPORT_NAME.fullmatch(name)
    if match is None:
        return None
    return datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)


def export_folder(export_dir: Path, community_key: str) -> Path:
    """Return the folder holding a community's export files."""
    return export_dir / _UNSAFE.sub("_", community_key)
