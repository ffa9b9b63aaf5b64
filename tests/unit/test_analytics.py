"""Metric arithmetic, periods, chart data and how figures read, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.analytics import (
    DayActivity,
    Figure,
    Participation,
    Period,
    PeriodError,
    Report,
    Scope,
    chart_data,
    gini,
    median,
    parse_period,
    top_share,
    write_chart,
)
from bot.domain import Member, MessagePosted
from bot.features.report import channel_reference, chart_labels, format_change, format_value
from bot.prompts import Prompts
from bot.storage import interaction_from_event

pytestmark = pytest.mark.report

PROMPTS = Prompts.load(Path(__file__).parents[2] / "prompts")
TODAY = date(2026, 11, 22)


def test_gini_and_top_share_on_known_distributions() -> None:
    assert gini([5, 5, 5, 5]) == pytest.approx(0)
    assert gini([0, 0, 0, 12]) == pytest.approx(0.75)  # (n - 1) / n when one holds all
    assert gini([1, 4]) == pytest.approx(0.3)
    assert gini([]) is None and gini([0, 0]) is None
    assert top_share([10, 1, 1, 1, 1, 1, 1, 1, 1, 2]) == pytest.approx(10 / 20)
    assert top_share([3, 1]) == pytest.approx(3 / 4)  # the top 10 % is at least one member
    assert top_share([]) is None


def test_median() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 2.0, 3.0]) == 2.5
    assert median([]) is None


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        (None, date(2026, 11, 16), date(2026, 11, 23)),
        ("week", date(2026, 11, 16), date(2026, 11, 23)),
        ("day", date(2026, 11, 22), date(2026, 11, 23)),
        ("30d", date(2026, 10, 24), date(2026, 11, 23)),
        ("4w", date(2026, 10, 26), date(2026, 11, 23)),
        ("Quarter", date(2026, 8, 25), date(2026, 11, 23)),
        ("2026-10-01..2026-10-31", date(2026, 10, 1), date(2026, 11, 1)),
    ],
)
def test_periods(text: str | None, start: date, end: date) -> None:
    assert parse_period(text, TODAY) == Period(start=start, end=end)


@pytest.mark.parametrize(
    "text", ["fortnight", "0d", "400d", "2026-10-31..2026-10-01", "2026-02-30..2026-03-01"]
)
def test_bad_periods_say_what_is_accepted(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text, TODAY)


def test_previous_and_tail() -> None:
    week = Period(start=date(2026, 11, 16), end=date(2026, 11, 23))
    assert week.previous() == Period(start=date(2026, 11, 9), end=date(2026, 11, 16))
    assert week.tail(30) == week
    assert week.tail(2) == Period(start=date(2026, 11, 21), end=date(2026, 11, 23))
    assert week.since == datetime(2026, 11, 16, tzinfo=UTC)
    assert parse_period("week", TODAY, include_today=False).end == TODAY


def a_report() -> Report:
    period = Period(start=date(2026, 11, 20), end=date(2026, 11, 23))
    return Report(
        scope=Scope(community_id=1),
        period=period,
        as_of=datetime(2026, 11, 23, tzinfo=UTC),
        figures=(Figure(key="report.figures.rowers", value=0.25, unit="share", previous=0.2),),
        daily=tuple(
            DayActivity(day=period.start + timedelta(days=i), active=a, posters=p)
            for i, (a, p) in enumerate([(4, 2), (0, 0), (7, 3)])
        ),
        participation=Participation(present=10, rowers=3, reactors=2),
        unanswered=(),
    )


def test_chart_series_and_file(tmp_path: Path) -> None:
    data = chart_data(a_report())
    assert data.days == (date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22))
    assert (data.active, data.posters) == ((4, 0, 7), (2, 0, 3))
    assert (data.rowers, data.reactors, data.passengers) == (3, 2, 5)
    path = write_chart(data, chart_labels(PROMPTS.catalog("fr")), tmp_path / "c" / "chart.png")
    content = path.read_bytes()
    assert content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) > 5000


def test_figures_read_in_each_language() -> None:
    en, fr = PROMPTS.catalog("en"), PROMPTS.catalog("fr")
    rowers = a_report().figures[0]
    assert format_value(rowers, en) == "25%"
    assert format_value(rowers, fr) == "25\u00a0%"
    assert format_change(rowers, en) == "↑ 5"
    hours = Figure(key="report.figures.first_reply", value=1.25, unit="hours", previous=2.5)
    assert format_value(hours, fr) == "1,2\u00a0h"
    assert format_change(hours, en) == "↓ 1.2"
    assert format_value(Figure(key="k", value=None), en) == "n/a"
    assert format_change(Figure(key="k", value=3, previous=3), en) == "="
    assert format_change(Figure(key="k", value=3), en) is None


def test_channel_references() -> None:
    purposes = {"general": "C111", "moderators": "C222"}
    assert channel_reference("#general", purposes) == "C111"
    assert channel_reference("<#C333|random>", purposes) == "C333"
    assert channel_reference("C444", purposes) == "C444"


@pytest.mark.parametrize(
    ("text", "reply_to", "thread_id", "target"),
    [
        ("Anyone know a good bakery?", None, None, "question"),
        ("Bot: anyone know a good bakery?", None, None, None),  # a bot never asks
        ("¿Alguien sabe", None, None, "question"),
        ("有人知道吗？", None, None, "question"),
        ("هل يعرف أحد؟", None, None, "question"),
        ("I know one.", None, None, None),
        ("Which one?", "m1", None, None),  # an answer asking back is not a new question
        ("Which one?", None, "t1", None),
        (None, None, None, None),  # text not delivered (no message-content intent)
    ],
)
def test_questions_are_marked_without_keeping_text(
    text: str | None, reply_to: str | None, thread_id: str | None, target: str | None
) -> None:
    event = MessagePosted(
        event_id="e1",
        community="console:demo",
        occurred_at=datetime(2026, 11, 22, tzinfo=UTC),
        member=Member(id="alice", display_name="Alice", is_bot=(text or "").startswith("Bot")),
        channel_id="general",
        message_id="m2",
        reply_to=reply_to,
        thread_id=thread_id,
        text=text,
    )
    row = interaction_from_event(event, 1, store_content=False)
    assert row is not None
    assert row.target == target
    assert row.content is None
