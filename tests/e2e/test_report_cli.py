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

from bot.activity import Level, month_of
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


async def seed_features(url: str) -> None:
    """A poll two days ago, and the level snapshots of the last two complete months; the
    moderator (excluded from figures) voted and moved up too."""
    database = await Database.connect(url)
    now = datetime.now(UTC)
    after = month_of(month_of(now) - timedelta(days=1))
    before = month_of(after - timedelta(days=1))
    async with database.transaction() as uow:
        community = await uow.communities.ensure("console:demo", "console", "demo", "Demo")
        poll = await uow.games.add_poll(
            community,
            kind="poll",
            channel_id="general",
            question="Tea?",
            options=["tea", "coffee"],
            closes_at=None,
            at=now - timedelta(days=2),
        )
        await uow.games.vote(poll, "bob", "Bob", 0, change=True, at=now - timedelta(days=2))
        await uow.games.vote(poll, "mod", "Mo", 1, change=True, at=now - timedelta(days=2))
        await uow.members.upsert_seen(community, "zoe", "Zoé <3")
        await uow.members.upsert_seen(community, "mod", "Mo")
        await uow.activity.record_month(community, before, {"zoe": Level.QUIET, "mod": Level.QUIET})
        await uow.activity.record_month(community, after, {"zoe": Level.CORE, "mod": Level.CORE})
    await database.close()


def test_the_html_report_has_the_features_figures(tmp_path: Path) -> None:
    config = tmp_path / "terreau.toml"
    config.write_text(CONFIG.format(db=tmp_path / "terreau.db"), encoding="utf-8")
    assert main(["db", "upgrade", "--config", str(config)]) == EXIT_OK
    url = f"sqlite+aiosqlite:///{tmp_path / 'terreau.db'}"
    asyncio.run(seed(url))
    asyncio.run(seed_features(url))
    out = tmp_path / "report.html"
    code = main(["report", "--config", str(config), "--community", "demo", "--out", str(out)])
    assert code == EXIT_OK
    page = out.read_text(encoding="utf-8")
    assert "<td>Members who played games</td><td class=n>1</td>" in page  # bob, not mod
    # The operator's page names who moved (escaped); elections are not enabled here.
    assert re.search(r"<td>Members who moved up a level from [-0-9]+ to [-0-9]+", page)
    assert "<span class=names>Zoé &lt;3</span></td><td class=n>1</td>" in page
    assert "member of the month" not in page
