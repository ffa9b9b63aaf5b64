"""`terreau report --out`: the page says when members are around, and what to change.

The page is read back as HTML, and opened in a real headless Chromium at phone width
when one is installed: it renders, logs no error, requests nothing outside itself,
and its text stays readable without scrolling sideways. `.ci/run` installs Debian's
Chromium, so under CI (`CI=true`) a missing browser fails the test; elsewhere it is
skipped, saying why.
"""

from __future__ import annotations

import asyncio
import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import EXIT_OK, _check, main
from bot.storage import Database, InteractionWriter
from tests.browser import find_browser, load
from tests.contract.test_analytics import LONG_AGO, row
from tests.contract.test_report_cohorts import joined, minutes
from tests.contract.test_report_hours import history
from tests.e2e.test_report_cli import EN, Page

pytestmark = pytest.mark.report

CONFIG = """
database_url = "sqlite+aiosqlite:///{db}"

[[communities]]
platform = "console"
id = "demo"
name = "Demo <Club>"
timezone = "Europe/Paris"
channels = {{ general = "general" }}

[communities.report]
exclude_members = ["mod"]

[communities.posts]
rest_silent_prompts = true

[[communities.posts.schedules]]
name = "question-of-the-week"
channel = "general"
cron = "0 9 * * 1"
pool = "discussion"
"""

PERIOD = "2025-03-03..2025-04-06"


async def seed(url: str) -> None:
    """The five weeks of the heatmap contract test, in Paris time."""
    database = await Database.connect(url)
    async with database.transaction() as uow:
        community = await uow.communities.ensure("console:demo", "console", "demo", "Demo")
    writer = InteractionWriter(database)
    await writer.start()
    for item in [*history(community), *newcomers(community)]:
        await writer.submit(item)
    await writer.stop()
    await ritual_posts(database, community)
    await games(database, community)
    await database.close()


async def ritual_posts(database: Database, c: int) -> None:
    """The ritual in December: discussion/a three times unanswered, then discussion/b,
    which an old member, quiet until then, answers two hours later."""
    for day, item in ((2, "a"), (9, "a"), (16, "a"), (23, "b")):
        noon = datetime(2024, 12, day, 12, tzinfo=UTC)
        async with database.transaction() as uow:
            outbox_id = await uow.outbox.add(
                community_id=c,
                nonce=f"qotw-{day}",
                channel_id="general",
                thread_id=None,
                payload={"community": "console:demo", "post": {"text": "?"}},
                job_id="posts:console:demo:question-of-the-week",
                content=("discussion", item),
            )
            await uow.outbox.mark_sent(outbox_id, f"qotw-{day}", None, at=noon)
    writer = InteractionWriter(database)
    await writer.start()
    await writer.submit(
        row(
            c,
            "old-answer",
            minutes(2024, 12, 23) + 120,
            "old",
            "reply",
            reply_to="qotw-23",
            joined_at=LONG_AGO,
        )
    )
    await writer.stop()


async def games(database: Database, c: int) -> None:
    """Three science rounds in December nobody answers, and a poll "old" votes in."""
    async with database.transaction() as uow:
        for day in (3, 10, 17):
            when = datetime(2024, 12, day, 18, tzinfo=UTC)
            round_id = await uow.games.start_round(
                c,
                "general",
                category="science",
                started_by=None,
                questions=[(f"science-{day}", {"category": "science"})],
                at=when,
            )
            [question] = await uow.games.questions_of(round_id)
            await uow.games.open_question(question.id, opened_at=when, closes_at=when)
            await uow.games.finish_round(round_id, at=when)
        poll = await uow.games.add_poll(
            c,
            kind="poll",
            channel_id="general",
            question="?",
            options=["a", "b"],
            closes_at=None,
            item_id="tot-001",
            content_kind="this_or_that",
            at=datetime(2024, 12, 4, 18, tzinfo=UTC),
        )
        await uow.games.vote(
            poll, "old", "Old", 0, change=True, at=datetime(2024, 12, 4, 19, tzinfo=UTC)
        )


def newcomers(c: int) -> list:
    """25 members who arrived and clicked in January; 15 clicked in February, 10 in March.

    Clicks only: they count as activity, and leave posts and reactions as they were.
    """
    rows = []
    for i in range(25):
        rows.append(joined(c, f"n{i}", (2025, 1, 15)))
        for month, kept in ((1, 25), (2, 15), (3, 10)):
            if i < kept:
                rows.append(
                    row(c, f"n{i}-{month}", minutes(2025, month, 10), f"n{i}", "choice", target="x")
                )
    return rows


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("page")
    config = folder / "terreau.toml"
    config.write_text(CONFIG.format(db=folder / "terreau.db"), encoding="utf-8")
    assert main(["db", "upgrade", "--config", str(config)]) == EXIT_OK
    asyncio.run(seed(f"sqlite+aiosqlite:///{folder / 'terreau.db'}"))
    out = folder / "report.html"
    argv = ["report", "--config", str(config), "--community", "demo", "--period", PERIOD]
    assert main([*argv, "--out", str(out)]) == EXIT_OK
    return out


def test_the_page_advises_moving_a_ritual_posted_at_a_quiet_hour(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    advice = EN.text(
        "report.advice.quiet",
        name="question-of-the-week",
        at="Monday 09:00",
        at_posts=1,
        at_count=1,
        best="Tuesday 18:00–20:00",
        best_posts=20,
        best_count=20,
        faster=3,
        weeks=5,
        posts=210,
        questions=30,
    )
    shown = Page(html)

    assert EN.text("report.hours.title") in html
    assert advice in html  # nothing in it to escape
    placed = EN.text(
        "report.hours.placed", name="question-of-the-week", kind="ritual", slots=["Monday 09:00"]
    )
    assert placed in html
    posts = next(t for t in shown.tables if len(t) == 25)  # a header and 24 hours
    assert posts[0][1:] == [EN.text(f"report.hours.days.{day}") for day in _WEEK]
    assert posts[1 + 9][1 + 0] == "5 ●"  # Monday 09:00, where the ritual posts
    assert posts[1 + 19][1 + 1] == "150"  # Tuesday 19:00
    channels = next(t for t in shown.tables if t[0][0] == EN.text("report.channels.channel"))
    # 210 posts, 15 reactions; the moderator's 5 left out; 30 questions, all answered.
    answered = EN.text("report.channels.share", answered=30, questions=30)
    assert channels[1:] == [["#general", "210", "0", "15", answered]]
    cohorts = next(t for t in shown.tables if t[0][0] == EN.text("report.cohorts.month"))
    assert cohorts[0][1:] == [
        EN.text("report.cohorts.members"),
        *(EN.text("report.cohorts.later", months=k) for k in (1, 2)),
    ]
    january = EN.text("report.trends.month_of", month="January", year=2025)
    shares = [EN.text("report.cohorts.share", share=s) for s in (60, 40)]
    assert cohorts[1] == [january, "25", *shares]
    assert EN.text("report.cohorts.intro", followed=25, months=12) in html
    trends = next(t for t in shown.tables if t[0][0] == EN.text("report.trends.month"))
    december = EN.text("report.trends.month_of", month="December", year=2024)
    missing = EN.text("report.units.missing")
    assert trends[1] == [december, "1", "100%", "100%", missing]
    assert trends[2] == [january, "25", "0%", missing, "60%"]
    rituals = next(t for t in shown.tables if t[0][0] == EN.text("report.posts.ritual"))
    hours = EN.text("report.units.hours", value="2.0")
    assert rituals[1:] == [["question-of-the-week", "4", "1", "1", "1", "100%", hours]]
    silent = EN.text("report.posts.silent", uses=3, prompts=["discussion/a"])
    assert silent in html
    assert EN.text("report.posts.rested", prompts=["discussion/a"]) in html
    assert EN.text("report.posts.silent_trivia", uses=3, categories=["science"]) in html
    trivia = next(t for t in shown.tables if t[0][0] == EN.text("report.posts.category"))
    missing = EN.text("report.units.missing")
    assert trivia[1:] == [["science", "3", "0", "0", "0", missing, missing]]
    polls = next(t for t in shown.tables if t[0][0] == EN.text("report.posts.kind"))
    # "old" had been quiet since well before December: the one voter was quiet before.
    hour = EN.text("report.units.hours", value="1.0")
    assert polls[1:] == [["this_or_that", "1", "1", "1", "1", "100%", hour]]
    assert [row[0] for row in trends[1:]] == [
        december,
        january,
        *(EN.text("report.trends.month_of", month=m, year=2025) for m in ("February", "March")),
    ]


_WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


READABLE = """(() => {
  const texts = [...document.querySelectorAll('p, li, td, th, h1, h2, h3, figcaption')];
  const smallest = Math.min(...texts.map(e => parseFloat(getComputedStyle(e).fontSize)));
  const images = [...document.images];
  return {
    title: document.title,
    overflow: Math.max(...[...document.querySelectorAll('body *')].map(
      e => e.getBoundingClientRect().right)) - document.documentElement.clientWidth,
    width: document.documentElement.clientWidth,
    smallest: smallest,
    images: images.length,
    described: images.filter(i => i.alt.trim().length > 0).length,
    drawn: images.filter(i => i.complete && i.naturalWidth > 0).length,
    heatmaps: document.querySelectorAll('table.heat').length,
  };
})()"""


def test_the_page_in_a_headless_browser_at_phone_width(page: Path, tmp_path: Path) -> None:
    browser = find_browser()
    if browser is None:
        why = "no Chromium-family browser installed (as root: python tests/browser.py install)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the page test runs under CI: {why}")
        pytest.skip(why)

    loaded = asyncio.run(load(browser, page.as_uri(), width=360, height=780, script=READABLE))

    found = loaded.found
    assert found["title"] == EN.text("report.html.title", community="Demo <Club>")
    assert loaded.errors == []
    assert [kind for kind, _text in loaded.console if kind in ("error", "warning")] == []
    assert [url for url in loaded.requests if not url.startswith(("file:", "data:"))] == []
    assert found["width"] == 360
    assert found["overflow"] <= 0, "the page scrolls sideways at phone width"
    assert found["smallest"] >= 12, "some text is smaller than 12 px"
    assert found["images"] >= 1 and found["described"] == found["images"] == found["drawn"]
    assert found["heatmaps"] == 2
    (tmp_path / "phone.png").write_bytes(loaded.screenshot)


def test_terreau_check_gives_the_same_advice_once_reports_counted_the_hours(page: Path) -> None:
    config = page.parent / "terreau.toml"
    out = io.StringIO()

    assert _check(config, out, now=datetime(2025, 4, 7, 9, 0, tzinfo=UTC)) == EXIT_OK

    # The last 90 days: twelve whole weeks, the same 210 posts and 30 answered questions.
    advice = EN.text(
        "report.advice.quiet",
        name="question-of-the-week",
        at="Monday 09:00",
        at_posts="0.4",
        at_count=0.4,
        best="Tuesday 18:00–20:00",
        best_posts="8.3",
        best_count=8.3,
        faster=3,
        weeks=12,
        posts=210,
        questions=30,
    )
    assert f"  advice: {advice}" in out.getvalue().splitlines()
    # The rotation rests the prompt the page flags, and `terreau check` says so.
    rested = EN.text("report.posts.rested", prompts=["discussion/a"])
    assert f"  advice: {rested}" in out.getvalue().splitlines()


def test_terreau_check_says_nothing_of_a_database_not_made_yet(tmp_path: Path) -> None:
    config = tmp_path / "terreau.toml"
    config.write_text(CONFIG.format(db=tmp_path / "terreau.db"), encoding="utf-8")
    out = io.StringIO()

    assert _check(config, out) == EXIT_OK

    assert "advice:" not in out.getvalue()
    assert not (tmp_path / "terreau.db").exists()
