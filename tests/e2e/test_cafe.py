"""Virtual cafés end to end on the console's app: a round, a restart, check-ins, stats, data."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from bot.app import App
from bot.config import CommunityConfig
from bot.domain import Member, Mention
from bot.feature import FeatureContext
from bot.features.cafe import CafeConfig, Rounds
from bot.features.privacy._commands import CONFIRM
from bot.ports import Unavailable, Unsupported
from bot.storage.cafe import Cafes, pseudonym
from tests.e2e.conftest import KEY, Terreau
from tests.e2e.test_examples import ANY, first_line_pattern, folder, replay

pytestmark = [pytest.mark.cafe, pytest.mark.me]
__all__ = ["folder"]  # the example replay's working-folder fixture

CAFE = CafeConfig(enabled=True, channel="general", checkin_days=4, unanswered_rounds=3)
ANN = Member(id="ann", display_name="Ann")
BEN = Member(id="ben", display_name="Ben")
CAT = Member(id="cat", display_name="Cat")
DAN = Member(id="dan", display_name="Dan")
EVE = Member(id="eve", display_name="Eve")
ROUND = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def config_of(config: CafeConfig) -> Callable[[CommunityConfig], CafeConfig]:
    return lambda _community: config


class _Unsent:
    """The outbox as a process that dies right after its commit sees it: queued, never sent."""

    def __init__(self, delivery: Any) -> None:
        self._delivery = delivery
        self.owner = delivery.owner

    async def enqueue(self, *args: Any, **kwargs: Any) -> int:
        return int(await self._delivery.enqueue(*args, **kwargs))

    async def deliver(self, _outbox_id: int) -> None:
        return None


class _DiesAfterCommit:
    """The app, except that nothing queued is sent: the process "died" after committing."""

    def __init__(self, app: App) -> None:
        self._app = app
        self.delivery = _Unsent(app.delivery)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


def rounds(app: App | _DiesAfterCommit, config: CafeConfig = CAFE) -> Rounds:
    return Rounds(cast(FeatureContext, app), config_of(config))


async def joined(terreau: Terreau, *members: Member) -> None:
    """Members speak (so Terreau knows them), then opt in."""
    for member in members:
        await terreau.say(member, text="hello")
    app = terreau.app
    assert app is not None
    await app.settled()
    async with app.database.transaction() as uow:
        for member in members:
            await uow.repository(Cafes).join(app.community_id(KEY), member.id)


def sent(terreau: Terreau, key: str) -> list[Any]:
    return terreau.prompts.posts(terreau.platform.posts(), key)


def keys_of(terreau: Terreau, member: Member) -> list[str]:
    return [terreau.said(post) for post in terreau.answers(member)]


async def test_a_round_survives_a_crash_after_its_commit_without_a_duplicate_intro(
    terreau: Terreau,
) -> None:
    app = await terreau.start()
    await joined(terreau, ANN, BEN, CAT, DAN, EVE)
    await terreau.clock.set(ROUND)
    await rounds(_DiesAfterCommit(app)).run_scheduled(KEY, ROUND)
    assert sent(terreau, "cafe.intro") == []  # the process died before sending

    await terreau.stop()
    await terreau.start()  # the outbox sends what was queued, once
    intros = sent(terreau, "cafe.intro")
    assert len(intros) == 2  # five members: a pair and a group of three
    named = sorted(m.member_id for post in intros for m in post.mentions)
    assert named == ["ann", "ben", "cat", "dan", "eve"]

    restarted = terreau.app
    assert restarted is not None
    # The scheduler fires the round again (a second process, a catch-up): claimed already.
    await rounds(restarted).run_scheduled(KEY, ROUND)
    await terreau.stop()
    again = await terreau.start()
    assert sent(terreau, "cafe.intro") == []
    async with again.database.read() as uow:
        assert len(await uow.repository(Cafes).rounds(again.community_id(KEY))) == 1


def spaces_opened(terreau: Terreau) -> list[Any]:
    return [item for item in terreau.platform.sent if item.kind == "space"]


async def test_each_group_meets_in_a_private_space_opened_once_across_restarts(
    terreau: Terreau,
) -> None:
    app = await terreau.start()
    await joined(terreau, ANN, BEN, CAT, DAN, EVE)
    await terreau.clock.set(ROUND)
    # The platform fails as the round opens its spaces: the groups wait, recorded.
    terreau.platform.spaces_refused = Unavailable("gateway down")
    await rounds(app).run_scheduled(KEY, ROUND)
    assert sent(terreau, "cafe.intro") == []
    terreau.platform.spaces_refused = None

    await terreau.stop()
    restarted = await terreau.start()
    # The next tick opens each waiting group's space, once, and introduces it there.
    await rounds(_DiesAfterCommit(restarted)).send_checkins(KEY, ROUND + timedelta(hours=1))
    opened = spaces_opened(terreau)
    assert len(opened) == 2 and all(item.private for item in opened)
    assert sorted(m for members in terreau.platform.spaces.values() for m in members) == [
        "ann",
        "ben",
        "cat",
        "dan",
        "eve",
    ]
    spaces = {item.where.channel_id for item in opened}

    # It died before sending: the restart sends the intros in those spaces, opens none.
    await terreau.stop()
    again = await terreau.start()
    await rounds(again).send_checkins(KEY, ROUND + timedelta(hours=2))
    await rounds(again).run_scheduled(KEY, ROUND)
    assert spaces_opened(terreau) == []
    intros = [item for item in terreau.platform.sent if terreau.said(item.post) == "cafe.intro"]
    assert len(intros) == 2
    assert {item.where.channel_id for item in intros} == spaces

    # The check-in goes to each group's space too.
    await terreau.clock.set(ROUND + timedelta(days=4))
    await rounds(again).send_checkins(KEY, ROUND + timedelta(days=4))
    checkins = [
        item for item in terreau.platform.sent if terreau.said(item.post) == "cafe.checkin.ask"
    ]
    assert {item.where.channel_id for item in checkins} == spaces

    # A week after the check-in (`archive_days`), the hourly tick archives every space, once.
    await terreau.clock.set(ROUND + timedelta(days=11) - timedelta(hours=1))
    await rounds(again).send_checkins(KEY, ROUND + timedelta(days=11) - timedelta(hours=1))
    assert terreau.platform.archive_calls == []
    await terreau.clock.set(ROUND + timedelta(days=11))
    await rounds(again).send_checkins(KEY, ROUND + timedelta(days=11))
    assert sorted(terreau.platform.archive_calls) == sorted(spaces)
    await terreau.stop()
    restarted = await terreau.start()  # a new platform connection, which archives nothing
    await rounds(restarted).send_checkins(KEY, ROUND + timedelta(days=11, hours=1))
    assert terreau.platform.archive_calls == []


async def test_two_introducers_at_once_open_one_space_per_waiting_group(
    terreau: Terreau,
) -> None:
    app = await terreau.start()
    await joined(terreau, ANN, BEN, CAT, DAN)
    await terreau.clock.set(ROUND)
    cafe = rounds(app)
    terreau.platform.spaces_refused = Unavailable("gateway down")
    await cafe.run_scheduled(KEY, ROUND)
    terreau.platform.spaces_refused = None
    # The round's own retry and the hourly tick, due at the same minute.
    await asyncio.gather(cafe.introduce_pending(KEY), cafe.send_checkins(KEY, ROUND))
    assert len(spaces_opened(terreau)) == 2
    assert len(sent(terreau, "cafe.intro")) == 2


async def test_a_platform_without_spaces_meets_in_the_cafe_channel(terreau: Terreau) -> None:
    app = await terreau.start()
    await joined(terreau, ANN, BEN)
    terreau.platform.spaces_refused = Unsupported("no private spaces here")
    await terreau.clock.set(ROUND)
    await rounds(app).run_scheduled(KEY, ROUND)
    await rounds(app).send_checkins(KEY, ROUND + timedelta(hours=1))
    [intro] = [item for item in terreau.platform.sent if terreau.said(item.post) == "cafe.intro"]
    assert intro.where.channel_id == "general"
    await terreau.clock.set(ROUND + timedelta(days=4))
    await rounds(app).send_checkins(KEY, ROUND + timedelta(days=4))
    [checkin] = [
        item for item in terreau.platform.sent if terreau.said(item.post) == "cafe.checkin.ask"
    ]
    assert checkin.where.channel_id == "general"


async def test_checkins_answers_stats_and_a_member_asked_whether_to_stay(
    terreau: Terreau,
) -> None:
    app = await terreau.start()
    await joined(terreau, ANN, BEN)
    # The same two members every week: repeats allowed here.
    cafe = rounds(app, CAFE.model_copy(update={"no_repeat_rounds": 0}))
    for week in range(3):
        moment = ROUND + timedelta(weeks=week)
        await terreau.clock.set(moment)
        await cafe.run_scheduled(KEY, moment)
        await terreau.clock.set(moment + timedelta(days=4))
        await cafe.send_checkins(KEY, moment + timedelta(days=4))
        await cafe.send_checkins(KEY, moment + timedelta(days=4, hours=1))  # once only
        [checkin] = sent(terreau, "cafe.checkin.ask")[week:]
        assert [c.id.rsplit(":", 1)[1] for c in checkin.choices] == ["met", "not_yet", "skip"]
        if week == 0:
            await terreau.choose(CAT, checkin.choices[0].id)
            assert keys_of(terreau, CAT)[-1] == "cafe.checkin.not_yours"
        # Ben answers every time; Ann never does.
        await terreau.choose(BEN, checkin.choices[0].id)
        assert keys_of(terreau, BEN)[-1] == "cafe.checkin.thanks.met"
    assert len(sent(terreau, "cafe.checkin.ask")) == 3
    assert len(sent(terreau, "cafe.intro")) == 3

    # The fourth round counts Ann's third silence: she is asked privately, and paused.
    moment = ROUND + timedelta(weeks=3)
    await terreau.clock.set(moment)
    await cafe.run_scheduled(KEY, moment)
    [ask] = [item for item in terreau.platform.sent if item.kind == "direct"]
    assert ask.member_id == "ann"
    assert terreau.said(ask.post) == "cafe.stay.ask"
    await terreau.choose(ANN, ask.post.choices[0].id)
    assert keys_of(terreau, ANN)[-1] == "cafe.stay.kept"

    await terreau.command(BEN, "cafe", "stats")
    key, shown = terreau.prompts.said(terreau.answers(BEN)[-1], "rounds", "groups", "met")
    assert (key, shown) == ("cafe.stats.body", {"rounds": 3, "groups": 3, "met": 3})


async def test_a_round_at_night_waits_for_the_end_of_quiet_hours_to_speak(
    terreau: Terreau,
) -> None:
    app = await terreau.start()
    await joined(terreau, ANN, BEN, CAT, DAN)
    cafe = rounds(app, CAFE.model_copy(update={"no_repeat_rounds": 0, "unanswered_rounds": 1}))
    await terreau.clock.set(ROUND)
    await cafe.run_scheduled(KEY, ROUND)
    await terreau.clock.set(ROUND + timedelta(days=4))
    await cafe.send_checkins(KEY, ROUND + timedelta(days=4))
    for checkin in sent(terreau, "cafe.checkin.ask"):
        for mention in checkin.mentions:
            if mention.member_id != "ann":  # Ann leaves hers unanswered
                await terreau.choose(
                    Member(id=mention.member_id, display_name="x"), checkin.choices[0].id
                )
    terreau.platform.sent.clear()

    # Monday 22:30 in Paris, inside the default quiet hours (22:00-08:00).
    night = ROUND + timedelta(weeks=1, hours=12, minutes=30)
    await terreau.clock.set(night)
    await cafe.run_scheduled(KEY, night)
    await terreau.clock.set(night + timedelta(minutes=30))
    await cafe.send_checkins(KEY, night + timedelta(minutes=30))
    # The round is planned (Ann, silent, is left out) but nobody hears of it at night.
    async with app.database.read() as uow:
        groups = await uow.repository(Cafes).groups(app.community_id(KEY), pending=True)
    assert [sorted(group.members) for group in groups] == [["ben", "cat", "dan"]]
    assert terreau.platform.sent == []

    # The first tick after 08:00 in Paris opens the space, introduces, asks Ann.
    morning = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    await terreau.clock.set(morning)
    await cafe.send_checkins(KEY, morning)
    [intro] = sent(terreau, "cafe.intro")
    assert sorted(m.member_id for m in intro.mentions) == ["ben", "cat", "dan"]
    assert len(spaces_opened(terreau)) == 1
    [ask] = [item for item in terreau.platform.sent if item.kind == "direct"]
    assert (ask.member_id, terreau.said(ask.post)) == ("ann", "cafe.stay.ask")

    # Its check-in falls due at night four days later: it waits for the morning too.
    terreau.platform.sent.clear()
    await terreau.clock.set(night + timedelta(days=4))
    await cafe.send_checkins(KEY, night + timedelta(days=4))
    assert sent(terreau, "cafe.checkin.ask") == []
    await terreau.clock.set(morning + timedelta(days=4))
    await cafe.send_checkins(KEY, morning + timedelta(days=4))
    await cafe.send_checkins(KEY, morning + timedelta(days=4, hours=1))
    assert len(sent(terreau, "cafe.checkin.ask")) == 1
    assert [item for item in terreau.platform.sent if item.kind == "direct"] == []


async def test_commands_exclusions_and_the_members_data(terreau: Terreau) -> None:
    app = await terreau.start()
    await terreau.command(ANN, "cafe", "join")
    assert keys_of(terreau, ANN) == ["cafe.disabled"]  # this community has no café section
    await joined(terreau, ANN, BEN, CAT)
    await terreau.command(ANN, "cafe", "avoid", "@ben")
    await terreau.command(ANN, "cafe", "avoid", "@ben")
    await terreau.command(ANN, "cafe", "avoid", "@ann")
    await terreau.command(CAT, "cafe", "snooze", "soon")
    await terreau.command(CAT, "cafe", "snooze", "2w")
    assert keys_of(terreau, ANN)[1:] == ["cafe.avoid.done", "cafe.avoid.already", "cafe.avoid.self"]
    assert keys_of(terreau, CAT) == ["cafe.snooze.invalid", "cafe.snooze.done"]

    await terreau.clock.set(ROUND)
    await rounds(app).run_scheduled(KEY, ROUND)
    # Ann avoids Ben and Cat snoozes: nobody to pair, nothing posted.
    assert sent(terreau, "cafe.intro") == []
    await terreau.command(ANN, "cafe", "unavoid", "@ben")
    later = ROUND + timedelta(weeks=1)
    await terreau.clock.set(later)
    await rounds(app).run_scheduled(KEY, later)
    [intro] = sent(terreau, "cafe.intro")
    assert sorted(m.member_id for m in intro.mentions) == ["ann", "ben"]

    await terreau.command(ANN, "me", "data")
    answer = terreau.answers(ANN)[-1]
    assert terreau.said(answer) == "privacy.data.body"
    kinds = {
        r.key.removeprefix("privacy.kinds."): r.variables["count"]
        for r in terreau.prompts.within(answer)
        if r.key.startswith("privacy.kinds.cafe_")
    }
    assert kinds == {"cafe_participation": 1, "cafe_avoid": 0, "cafe_history": 1}
    await terreau.command(ANN, "me", "forget")
    await terreau.choose(ANN, CONFIRM)
    community_id = app.community_id(KEY)
    async with app.database.read() as uow:
        [group] = await uow.repository(Cafes).groups(community_id)
        assert sorted(group.members) == sorted(["ben", pseudonym(community_id, "ann")])
        assert await uow.repository(Cafes).participant(community_id, "ann") is None
    await terreau.command(BEN, "cafe", "leave")
    await terreau.command(BEN, "cafe", "leave")
    assert keys_of(terreau, BEN)[-2:] == ["cafe.leave.done", "cafe.leave.not_in"]


CAFE_TOML = """
[communities.cafe]
enabled = true
channel = "general"
schedule = "0 10 * * 1"
checkin_days = 4
"""


async def test_a_configured_cafe_runs_on_its_schedule_in_the_community_timezone(
    terreau: Terreau,
) -> None:
    await terreau.start(extra=CAFE_TOML)
    for member in (ANN, BEN, CAT, DAN):
        await terreau.say(member, text="hello")
        await terreau.command(member, "cafe", "join")
        assert keys_of(terreau, member) == ["cafe.join.done"]
    await terreau.command(ANN, "cafe", "join")
    assert keys_of(terreau, ANN)[-1] == "cafe.join.already"

    # Monday 10:00 in Paris is 09:00 UTC.
    await terreau.at(ROUND - timedelta(minutes=1))
    assert sent(terreau, "cafe.intro") == []
    await terreau.at(ROUND)
    intros = sent(terreau, "cafe.intro")
    assert sorted(len(post.mentions) for post in intros) == [2, 2]
    assert len(terreau.platform.spaces) == 2
    assert {
        item.where.channel_id
        for item in terreau.platform.sent
        if item.kind == "send" and terreau.said(item.post) == "cafe.intro"
    } == set(terreau.platform.spaces)

    await terreau.at(ROUND + timedelta(days=4, hours=1))
    assert len(sent(terreau, "cafe.checkin.ask")) == 2

    # A restart fires nothing again: the round and the check-ins were claimed.
    await terreau.stop()
    await terreau.start(extra=CAFE_TOML)
    await terreau.at(ROUND + timedelta(days=4, hours=3))
    assert sent(terreau, "cafe.intro") == []
    assert sent(terreau, "cafe.checkin.ask") == []


def test_the_example_script_replays_a_round_and_its_checkin(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    transcript = replay("cafe.script", capsys)

    assert "error:" not in transcript
    intro = first_line_pattern(
        "cafe.intro",
        members=[Mention(member_id="x", display_name=ANY)],
        interest=None,
        starter=ANY,
        checkin_days=4,
    )
    assert len(intro.findall(transcript)) == 2
    assert transcript == replay("cafe.script", capsys)
