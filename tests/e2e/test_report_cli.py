"""`terreau report`: a self-contained HTML report written from the database."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.activity import Level, month_of
from bot.cli import EXIT_INVALID, EXIT_OK, main
from bot.prompts import Prompts
from bot.storage import QUESTION, Database, InteractionRow, InteractionWriter

pytestmark = [pytest.mark.report, pytest.mark.cli]

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


EN = Prompts.load(Path(__file__).resolve().parents[2] / "prompts").catalog("en")


class Page(HTMLParser):
    """An HTML report as a reader sees it: its title and the text of each table's rows."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.title = ""
        self.tables: list[list[list[str]]] = []
        self.names: list[str] = []
        self._in: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.tables[-1][-1].append("")

    def handle_endtag(self, tag: str) -> None:
        self._in.pop()

    def handle_data(self, data: str) -> None:
        if self._in[-1:] == ["title"]:
            self.title += data
        elif self._in[-1:] == ["span"]:
            self.names.append(data)
        elif self._in and self._in[-1] in ("td", "th"):
            self.tables[-1][-1][-1] += data

    def figure(self, key: str, *variables: str) -> list[str]:
        """The cells of the row of figure `key` (its label, whatever its `variables`)."""
        label = label_pattern(key, *variables)
        [row] = [row for row in self.tables[0] if label.fullmatch(row[0])]
        return row


def label_pattern(key: str, *variables: str) -> re.Pattern[str]:
    """Match the label of figure `key` in English, whatever the values of `variables`."""
    marks = {name: f"QQ{index}QQ" for index, name in enumerate(variables)}
    rendered = EN.text(key, **marks)
    parts = re.split("|".join(marks.values()), rendered) if marks else [rendered]
    assert all(part for part in parts[:1]), f"{key}: the label starts with a variable"
    return re.compile(".+?".join(re.escape(part) for part in parts))


def value(unit: str, number: str) -> str:
    return EN.text(f"report.units.{unit}", value=number)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


async def seed(url: str) -> None:
    database = await Database.connect(url)
    try:
        await seed_on(database)
    finally:
        await database.close()


async def seed_on(database: Database) -> None:
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
    try:
        for row in rows:
            await writer.submit(row)
    finally:
        await writer.stop()


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
    shown = Page(page)
    # The name is escaped: read back as HTML, the title is the whole name.
    assert shown.title == EN.text("report.html.title", community="Demo <Club>")
    [chart] = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert "http" not in page.replace(chart, "")  # nothing to fetch: readable offline
    assert base64.b64decode(chart).startswith(b"\x89PNG")
    assert shown.figure("report.figures.rowers")[1] == value("share", "100")  # mod excluded
    assert shown.figure("report.figures.questions")[1] == value("count", "1")
    waiting = shown.tables[1]
    assert [row[:2] for row in waiting[1:]] == [["Alice", "#general"]]  # still waiting


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
    try:
        await seed_features_on(database)
    finally:
        await database.close()


async def seed_features_on(database: Database) -> None:
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
    shown = Page(page)
    assert shown.figure("report.figures.game_players")[1] == value("count", "1")  # bob, not mod
    # The operator's page names who moved (escaped); elections are not enabled here.
    moved_up = shown.figure("report.figures.levels_up", "before", "after")
    assert moved_up[1] == value("count", "1")
    assert shown.names == [EN.text("report.names.listed", names="Zoé <3", more=0)]
    assert "Zoé &lt;3" in page
    elections = EN.keys("report.figures.election_")
    assert elections
    for key in elections:
        assert not [row for row in shown.tables[0] if label_pattern(key, "months").match(row[0])]
