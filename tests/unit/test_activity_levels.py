"""Activity levels: the classification and level moves, on hand-built summaries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.activity import Level, LevelMove, MemberActivity, Thresholds, classify, month_of, moves

pytestmark = pytest.mark.icebreaker

TODAY = date(2026, 11, 23)
T = Thresholds(new_days=14, window_days=30, core_days=12, active_days=4, quiet_after_days=30)


def activity(
    *,
    joined_days_ago: int | None = 400,
    spoke: int = 10,
    last_active_days_ago: int | None = 1,
    active_days: int = 0,
) -> MemberActivity:
    return MemberActivity(
        member_id="m",
        joined=None if joined_days_ago is None else TODAY - timedelta(days=joined_days_ago),
        spoke=spoke,
        last_active=None
        if last_active_days_ago is None
        else TODAY - timedelta(days=last_active_days_ago),
        active_days=active_days,
    )


@pytest.mark.parametrize(
    ("summary", "level"),
    [
        (activity(joined_days_ago=3, spoke=0, last_active_days_ago=None), Level.NEW),
        (activity(joined_days_ago=13, active_days=20), Level.NEW),
        (activity(joined_days_ago=14, spoke=0, last_active_days_ago=2), Level.NEVER_SPOKE),
        (activity(joined_days_ago=None, spoke=0, last_active_days_ago=None), Level.NEVER_SPOKE),
        (activity(last_active_days_ago=30), Level.QUIET),
        (activity(last_active_days_ago=None), Level.QUIET),
        (activity(active_days=12), Level.CORE),
        (activity(active_days=11), Level.ACTIVE),
        (activity(active_days=4), Level.ACTIVE),
        (activity(active_days=3, last_active_days_ago=29), Level.OCCASIONAL),
    ],
)
def test_classify(summary: MemberActivity, level: Level) -> None:
    assert classify(summary, TODAY, T) is level


def test_thresholds_refuse_an_impossible_order() -> None:
    with pytest.raises(ValueError, match="active_days <= core_days"):
        Thresholds(core_days=3, active_days=4)


def test_moves_between_two_months() -> None:
    before = {"ann": Level.ACTIVE, "bea": Level.QUIET, "cal": Level.CORE}
    after = {"ann": Level.QUIET, "bea": Level.QUIET, "dan": Level.NEW}
    assert moves(before, after) == [
        LevelMove(member_id="ann", before=Level.ACTIVE, after=Level.QUIET),
        LevelMove(member_id="cal", before=Level.CORE, after=None),
        LevelMove(member_id="dan", before=None, after=Level.NEW),
    ]
    assert month_of(TODAY) == date(2026, 11, 1)
