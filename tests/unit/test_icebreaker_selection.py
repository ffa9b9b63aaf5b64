"""Selection rules on hand-built histories: rotation, caps, cool-downs, pauses, opt-outs."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.activity import Level
from bot.features.icebreaker import Candidate, Contact, Rules, Selection, in_quiet_hours, select
from bot.features.icebreaker._selection import unanswered_streak
from bot.storage import rotation_order

pytestmark = pytest.mark.icebreaker

NOW = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
DAY = timedelta(days=1)
RULES = Rules(
    max_invitees=3,
    cooldown=timedelta(days=14),
    max_unanswered=2,
    pause=timedelta(days=90),
    invite_levels=frozenset({Level.QUIET, Level.NEVER_SPOKE, Level.OCCASIONAL, Level.NEW}),
)


def quiet(name: str, **fields: object) -> Candidate:
    return Candidate(member_id=name, display_name=name.title(), level=Level.QUIET, **fields)  # type: ignore[arg-type]


def invited(days_ago: float, answered_after: timedelta | None = None) -> Contact:
    sent = NOW - days_ago * DAY
    return Contact(
        kind="invitation",
        sent_at=sent,
        responded_at=None if answered_after is None else sent + answered_after,
    )


def chosen(selection: Selection) -> list[str]:
    return [v.candidate.member_id for v in selection.chosen]


def reasons(selection: Selection) -> dict[str, str]:
    return selection.reasons()


def test_at_most_max_invitees_are_chosen_and_the_rest_wait_their_turn() -> None:
    candidates = [quiet(f"m{n}") for n in range(5)]
    verdicts = select(candidates, {}, rules=RULES, now=NOW)
    assert len(chosen(verdicts)) == 3
    assert sorted(reasons(verdicts).values()) == ["chosen"] * 3 + ["rotation"] * 2
    assert verdicts.waiting == 2
    limited = select(candidates, {}, rules=RULES, now=NOW, show=1)
    assert (len(limited.next_up), limited.waiting) == (1, 2)


def test_everyone_eligible_is_invited_once_before_anyone_twice() -> None:
    candidates = [quiet(name) for name in ("ann", "bea", "cal", "dan")]
    history: dict[str, list[Contact]] = {}
    seen: list[str] = []
    now = NOW
    for _ in range(4):
        rules = Rules(
            max_invitees=1,
            cooldown=timedelta(days=1),
            max_unanswered=99,
            pause=timedelta(days=1),
            invite_levels=RULES.invite_levels,
        )
        [member] = chosen(select(candidates, history, rules=rules, now=now))
        seen.append(member)
        history.setdefault(member, []).append(
            Contact(kind="invitation", sent_at=now, responded_at=now + timedelta(hours=1))
        )
        now += 2 * DAY
    assert sorted(seen) == ["ann", "bea", "cal", "dan"]


def test_rotation_prefers_fewest_invitations_then_the_longest_wait() -> None:
    history = {
        "ann": [invited(40, timedelta(hours=1)), invited(20, timedelta(hours=1))],
        "bea": [invited(30, timedelta(hours=1))],
        "cal": [invited(60, timedelta(hours=1))],
    }
    verdicts = select(
        [quiet("ann"), quiet("bea"), quiet("cal"), quiet("dan")],
        history,
        rules=RULES,
        now=NOW,
    )
    assert chosen(verdicts) == ["dan", "cal", "bea"]


def test_a_member_contacted_within_the_cooldown_is_left_alone() -> None:
    history = {
        "ann": [invited(13, timedelta(hours=1))],
        "bea": [invited(14, timedelta(hours=1))],
        "cal": [Contact(kind="welcome", sent_at=NOW - 2 * DAY)],  # a welcome counts too
    }
    verdicts = select([quiet("ann"), quiet("bea"), quiet("cal")], history, rules=RULES, now=NOW)
    assert reasons(verdicts) == {"bea": "chosen", "ann": "cooldown", "cal": "cooldown"}


def test_after_m_unanswered_invitations_a_member_rests_for_the_pause() -> None:
    two_unanswered = [invited(60), invited(30)]
    answered_late = [invited(60), invited(30, timedelta(days=8))]
    one_then_answer = [invited(60), invited(30, timedelta(hours=3))]
    verdicts = select(
        [quiet("ann"), quiet("bea"), quiet("cal")],
        {"ann": two_unanswered, "bea": answered_late, "cal": one_then_answer},
        rules=RULES,
        now=NOW,
    )
    assert reasons(verdicts) == {"ann": "paused", "bea": "paused", "cal": "chosen"}


def test_the_pause_ends_and_a_new_unanswered_invitation_starts_it_again() -> None:
    history = [invited(120), invited(91)]
    assert chosen(select([quiet("ann")], {"ann": history}, rules=RULES, now=NOW)) == ["ann"]
    history.append(invited(20))
    later = NOW + 30 * DAY
    assert reasons(select([quiet("ann")], {"ann": history}, rules=RULES, now=later)) == {
        "ann": "paused"
    }
    assert unanswered_streak(history) == 3


def test_bots_leavers_opted_out_and_unwelcomed_newcomers_are_never_chosen() -> None:
    candidates = [
        quiet("robot", is_bot=True),
        quiet("gone", left=True),
        quiet("nope"),
        Candidate(member_id="newbie", display_name="Newbie", level=Level.NEW),
        quiet("ok"),
    ]
    verdicts = select(
        candidates,
        {},
        rules=RULES,
        now=NOW,
        opted_out={"nope"},
        awaiting_welcome={"newbie"},
    )
    assert reasons(verdicts) == {
        "ok": "chosen",
        "robot": "bot",
        "gone": "left",
        "nope": "opted_out",
        "newbie": "awaiting_welcome",
    }


def test_core_and_active_members_are_not_invited() -> None:
    candidates = [
        Candidate(member_id=level.value, display_name=level.value, level=level) for level in Level
    ]
    rules = Rules(
        max_invitees=10,
        cooldown=RULES.cooldown,
        max_unanswered=RULES.max_unanswered,
        pause=RULES.pause,
        invite_levels=RULES.invite_levels,
    )
    verdicts = select(candidates, {}, rules=rules, now=NOW)
    assert sorted(chosen(verdicts)) == ["never_spoke", "new", "occasional", "quiet"]
    assert reasons(verdicts)["core"] == reasons(verdicts)["active"] == "level"


def test_quiet_hours_wrap_past_midnight_in_the_community_timezone() -> None:
    window = (time(22, 0), time(8, 0))
    paris = "Europe/Paris"
    assert in_quiet_hours(datetime(2026, 11, 23, 21, 0, tzinfo=UTC), paris, window)  # 22:00
    assert in_quiet_hours(datetime(2026, 11, 24, 6, 59, tzinfo=UTC), paris, window)  # 07:59
    assert not in_quiet_hours(datetime(2026, 11, 24, 7, 0, tzinfo=UTC), paris, window)  # 08:00
    assert not in_quiet_hours(datetime(2026, 11, 23, 20, 59, tzinfo=UTC), paris, window)
    assert not in_quiet_hours(datetime(2026, 11, 23, 23, 0, tzinfo=UTC), paris, None)
    lunch = (time(12, 0), time(14, 0))
    assert in_quiet_hours(datetime(2026, 7, 1, 10, 30, tzinfo=UTC), paris, lunch)  # 12:30 CEST
    assert not in_quiet_hours(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), paris, lunch)


def test_ties_follow_the_seeded_order_not_the_names() -> None:
    candidates = [
        Candidate(member_id=name, display_name=name, level=Level.QUIET, order=order)
        for name, order in (("ann", 30), ("bea", 10), ("cal", 20), ("dan", 40))
    ]
    assert chosen(select(candidates, {}, rules=RULES, now=NOW)) == ["bea", "cal", "ann"]
    assert rotation_order(7, 1) != rotation_order(8, 1)
    assert rotation_order(7, 1) != rotation_order(7, 2)
