"""Seasons on the wall clock and their cron; ranks with ties; poll options; two truths order."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.features.games._polls import poll_options
from bot.features.games._seasons import previous_season, season_at, season_cron, season_named
from bot.features.games._standings import bar, ranked
from bot.features.games._twotruths import shuffled_statements
from bot.scheduling import next_fire_times, parse_cron
from bot.storage import ScoreLine

pytestmark = pytest.mark.games

PARIS = "Europe/Paris"


def test_a_monthly_season_follows_the_local_calendar() -> None:
    # 31 October 23:30 UTC is already 1 November in Paris.
    season = season_at(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), PARIS, 1)
    assert season.label == "2026-11"
    assert season.start == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert season.end == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert season_at(datetime(2026, 10, 31, 22, 59, tzinfo=UTC), PARIS, 1).label == "2026-10"


def test_a_season_across_a_dst_change_keeps_local_midnights() -> None:
    march = season_named("2026-03", PARIS, 1)
    assert march is not None
    assert march.start == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)  # CET
    assert march.end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # CEST


@pytest.mark.parametrize(
    ("months", "moment", "label"),
    [
        (3, datetime(2026, 5, 15, tzinfo=UTC), "2026-04"),
        (3, datetime(2026, 12, 31, tzinfo=UTC), "2026-10"),
        (6, datetime(2026, 6, 30, tzinfo=UTC), "2026-01"),
        (12, datetime(2026, 8, 1, tzinfo=UTC), "2026-01"),
    ],
)
def test_longer_seasons_start_on_their_months(months: int, moment: datetime, label: str) -> None:
    assert season_at(moment, "UTC", months).label == label


def test_a_quarter_ends_in_the_next_year() -> None:
    season = season_named("2026-10", "UTC", 3)
    assert season is not None
    assert season.end == datetime(2027, 1, 1, tzinfo=UTC)
    assert previous_season(season, "UTC", 3).label == "2026-07"
    assert previous_season(season_at(season.end, "UTC", 3), "UTC", 3).label == "2026-10"


@pytest.mark.parametrize("label", ["2026-13", "2026-00", "26-11", "november", "2026-02"])
def test_bad_season_names_are_refused(label: str) -> None:
    assert season_named(label, "UTC", 3) is None


def test_the_season_cron_fires_at_each_season_start() -> None:
    assert season_cron(1) == "0 0 1 1,2,3,4,5,6,7,8,9,10,11,12 *"
    assert season_cron(3) == "0 0 1 1,4,7,10 *"
    after = datetime(2026, 11, 22, tzinfo=UTC)
    fires = next_fire_times(parse_cron(season_cron(3)), ZoneInfo(PARIS), after, 2)
    assert fires == [
        datetime(2026, 12, 31, 23, 0, tzinfo=UTC),  # 1 January 00:00 CET
        datetime(2027, 3, 31, 22, 0, tzinfo=UTC),  # 1 April 00:00 CEST
    ]


def test_ties_share_the_better_rank() -> None:
    lines = [
        ScoreLine(member_id=m, display_name=m.title(), points=p)
        for m, p in [("a", 30), ("b", 20), ("c", 20), ("d", 5)]
    ]
    assert [row["rank"] for row in ranked(lines)] == [1, 2, 2, 4]


def test_bars_are_proportional() -> None:
    assert bar(1, 3) == "███░░░░░░░"
    assert bar(0, 0) == "░" * 10
    assert bar(3, 3) == "█" * 10


def test_poll_options_split_on_bars_or_commas() -> None:
    assert poll_options("Tea | Coffee |  | Water") == ["Tea", "Coffee", "Water"]
    assert poll_options("Cats, dogs") == ["Cats", "dogs"]
    assert poll_options("Salt, pepper | Sugar") == ["Salt, pepper", "Sugar"]


def test_two_truths_are_shuffled_by_seed_and_the_lie_is_tracked() -> None:
    orders = set()
    for seed in ("e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8"):
        statements, lie = shuffled_statements(("a", "b"), "lie", seed)
        assert statements[lie] == "lie"
        assert sorted(statements) == ["a", "b", "lie"]
        assert shuffled_statements(("a", "b"), "lie", seed) == (statements, lie)
        orders.add(tuple(statements))
    assert len(orders) > 1
