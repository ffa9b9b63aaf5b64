"""`terreau report`: a self-contained HTML report written from the database."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import EXIT_INVALID, EXIT_OK, main
from bot.storage import QUESTION, Database, InteractionRow, InteractionWriter

CONFIG = """
database_url = "sqlite+aiosqlite:///{db}"

[[communities]]
platform = "console"
id = "demo"
name = "Demo <Club>"
channels = {{ general = "general", moderators = "mods" }}

[communities.report]
exclude_members = ["mod"]
"""


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


async def seed(url: str) -> None:
    database = await Database.connect(url)
    async with database.transaction() as uow:
        community = await uow.communities.ensure("console:demo", "console", "demo", "Demo")
    now = datetime.now(UTC)
    rows = [
        InteractionRow(
            community_id=community,
            event_id=f"e{i}",
            kind="message",
            occurred_at=now - timedelta(days=2, minutes=i),
            channel_id="general",
            member_id=member,
            message_id=f"m{i}",
            target=QUESTION if i == 0 else None,
            member_name=member.title(),
        )
        for i, member in enumerate(["alice", "alice", "bob", "mod"])
    ]
    writer = InteractionWriter(database)
    await writer.start()
    for row in rows:
        await writer.submit(row)
    await writer.stop()
    await database.close()


def test_the_html_report_is_self_contained(tmp_path: Path, capsys) -> None:
    config = tmp_path / "terreau.toml"
    config.write_text(CONFIG.format(db=tmp_path / "terreau.db"), encoding="utf-8")
    assert main(["db", "upgrade", "--config", str(config)]) == EXIT_OK
    asyncio.run(seed(f"sqlite+aiosqlite:///{tmp_path / 'terreau.db'}"))
    out = tmp_path / "report.html"
    code = main(["report", "--config", str(config), "--community", "demo", "--out", str(out)])
    assert code == EXIT_OK
    assert "report of console:demo" in capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    assert "<title>Community report: Demo &lt;Club&gt;</title>" in page  # escaped
    [chart] = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert "http" not in page.replace(chart, "")  # nothing to fetch: readable offline
    assert base64.b64decode(chart).startswith(b"\x89PNG")
    assert re.search(r"<td>Rowers \(posted\)</td><td class=n>100%</td>", page)  # mod excluded
    assert re.search(r"<td>Questions asked</td><td class=n>1</td>", page)
    assert "<td>Alice</td><td>#general</td>" in page  # her question is still waiting


def test_an_unknown_community_is_named(tmp_path: Path, capsys) -> None:
    config = tmp_path / "terreau.toml"
    config.write_text(CONFIG.format(db=tmp_path / "terreau.db"), encoding="utf-8")
    assert main(["db", "upgrade", "--config", str(config)]) == EXIT_OK
    out = tmp_path / "report.html"
    code = main(["report", "--config", str(config), "--community", "nope", "--out", str(out)])
    assert code == EXIT_INVALID
    assert "no community 'nope' in the config (configured: console:demo)" in capsys.readouterr().err
    assert not out.exists()
