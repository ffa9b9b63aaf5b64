"""Figures from metric providers: ritual response rates, and the extension point itself."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pytest

from bot.analytics import METRICS, Figure, MetricRegistry, Period, Scope, build_report
from bot.analytics._providers import clicks_by_feature, ritual_response_rates
from bot.config import CommunityConfig
from bot.features.election import _metrics as election_metrics
from bot.features.games import GamesConfig
from bot.features.games import _metrics as games_metrics
from bot.features.icebreaker import _metrics as icebreaker_metrics
from bot.storage import Database, UnitOfWork
from tests.contract.conftest import at, clock_of, message_row
from tests.contract.test_analytics import ingest

pytestmark = [pytest.mark.report, pytest.mark.storage]

WEEK = Period(start=date(2025, 3, 3), end=date(2025, 3, 10))
AS_OF = datetime(2025, 3, 10, tzinfo=UTC)
HOUR = 60


async def sent_post(database: Database, community: int, nonce: str, minutes: float) -> str:
    async with database.transaction() as uow:
        outbox_id = await uow.outbox.add(
            community_id=community,
            nonce=nonce,
            channel_id="general",
            thread_id=None,
            payload={"community": "fake:guild-1", "post": {"text": "?"}},
            job_id="posts:fake:guild-1:question",
            scheduled_for=at(minutes),
        )
    await clock_of(database).set(at(minutes))
    async with database.transaction() as uow:
        await uow.outbox.mark_sent(outbox_id, f"post-{nonce}", None)
    return f"post-{nonce}"


async def test_ritual_posts_answered_within_a_day(database: Database, community_id: int) -> None:
    c = community_id
    await sent_post(database, c, "last-friday", -3 * 24 * HOUR)  # the week before: no answer
    answered = await sent_post(database, c, "monday", 0)
    await sent_post(database, c, "tuesday", 24 * HOUR)
    await sent_post(database, c, "wednesday", 48 * HOUR)
    await ingest(
        database,
        [
            message_row(c, "r1", minutes=30, kind="reply", reply_to=answered, member="bob"),
            # Tuesday's post: a bot in the channel, then a member 25 hours later (too late
            # for Tuesday's, in time for Wednesday's: a post without thread counts the channel).
            message_row(c, "b", minutes=25 * HOUR, member="helper", bot=True),
            message_row(c, "late", minutes=49 * HOUR, member="carol"),
            message_row(c, "elsewhere", minutes=24 * HOUR + 5, member="dan", channel="other"),
        ],
    )
    async with database.read() as uow:
        [figure] = await ritual_response_rates(uow, Scope(community_id=c), WEEK)
    assert figure.variables == {"ritual": "question", "posts": 3, "answered": 2}
    assert figure.value == 2 / 3
    report = await build_report(database, Scope(community_id=c), WEEK, as_of=AS_OF)
    compared = report.figure("ritual_response_rate")
    # Matched with the week before by ritual, though the label's counts differ.
    assert (compared.value, compared.previous, compared.subject) == (2 / 3, 0, "question")


async def test_clicks_count_members_per_feature(database: Database, community_id: int) -> None:
    c = community_id
    clicks = [
        ("c1", "alice", "games:trivia:a"),
        ("c2", "alice", "games:trivia:b"),
        ("c3", "bob", "games:poll:x"),
        ("c4", "bob", "election:e1:vote"),
    ]
    await ingest(
        database,
        [
            message_row(c, e, minutes=i, member=m, kind="choice")._replace(target=t)
            for i, (e, m, t) in enumerate(clicks)
        ],
    )
    async with database.read() as uow:
        figures = await clicks_by_feature(uow, Scope(community_id=c), WEEK)
    assert [(f.variables["feature"], f.value) for f in figures] == [("election", 1), ("games", 2)]


async def test_other_features_add_figures(database: Database, community_id: int, caplog) -> None:
    calls: list[Period] = []

    async def players(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
        calls.append(period)
        value = 7 if period == WEEK else 5
        return [Figure(key="games.report.players", value=value)]

    async def broken(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
        raise RuntimeError("table missing")

    registry = MetricRegistry()
    registry.register("games", players)
    registry.register("broken", broken)
    caplog.set_level(logging.ERROR, logger="bot.analytics")
    report = await build_report(
        database, Scope(community_id=community_id), WEEK, as_of=AS_OF, providers=registry
    )
    figure = report.figure("games.report.players")
    assert (figure.value, figure.previous, figure.change) == (7, 5, 2)
    assert sorted(calls, key=lambda p: p.start) == [WEEK.previous(), WEEK]  # measured at once
    assert "metric provider 'broken' failed" in caplog.text


async def test_providers_read_the_active_members_the_report_counted(
    database: Database, community_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = community_id
    await ingest(
        database,
        [
            message_row(c, "m1", minutes=30, member="bob"),
            message_row(c, "m2", minutes=40, member="carol", kind="reaction"),
            message_row(c, "m3", minutes=50, member="helper", bot=True),
        ],
    )
    seen: dict[Period, int | None] = {}

    async def share(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
        seen[period] = await scope.active_members(period)
        return []

    registry = MetricRegistry()
    registry.register("share", share)
    report = await build_report(
        database, Scope(community_id=c), WEEK, as_of=AS_OF, providers=registry
    )
    assert (
        seen
        == {WEEK: 2, WEEK.previous(): 0}
        == {WEEK: report.figure("active").value}
        | {WEEK.previous(): report.figure("active").previous}
    )
    assert report.scope.measured is None  # what the report counted stays inside it
    async with database.read() as uow:
        await share(uow, Scope(community_id=c), WEEK)
    assert seen[WEEK] is None  # outside a report, a provider counts for itself

    # When the members' activity cannot be read, the report fails and no provider waits.
    async def unreadable(*_args: object) -> None:
        raise RuntimeError("rollups unreadable")

    monkeypatch.setattr("bot.analytics._report.member_totals", unreadable)
    with pytest.raises(RuntimeError, match="rollups unreadable"):
        await build_report(database, Scope(community_id=c), WEEK, as_of=AS_OF, providers=registry)


def community(**tables: object) -> CommunityConfig:
    return CommunityConfig.model_validate(
        {"platform": "console", "id": "demo", "name": "Demo", **tables}
    )


def test_providers_serve_where_their_feature_is_enabled() -> None:
    async def nothing(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
        return []

    registry = MetricRegistry()
    registry.register("everywhere", nothing)
    registry.register("games", nothing, serves=lambda c: c.section(GamesConfig).enabled)
    assert registry.serving(community()).names() == ["everywhere", "games"]
    assert registry.serving(community(games={"enabled": False})).names() == ["everywhere"]
    # The features' own registrations: games on by default, elections and icebreakers off;
    # level movements everywhere (every community's levels are recorded).
    for feature in (games_metrics, election_metrics, icebreaker_metrics):
        feature.register()
    defaults = METRICS.serving(community()).names()
    assert {"games", "levels"} <= set(defaults)
    assert not {"election", "icebreaker"} & set(defaults)
    enabled = community(
        games={"enabled": False},
        election={"enabled": True, "channel": "general"},
        icebreaker={"enabled": True},
        channels={"general": "general"},
    )
    assert {"election", "icebreaker", "levels"} <= set(METRICS.serving(enabled).names())
    assert "games" not in METRICS.serving(enabled).names()


async def test_excluded_members_neither_answer_rituals_nor_click(
    database: Database, community_id: int
) -> None:
    c = community_id
    monday = await sent_post(database, c, "monday", 0)
    await sent_post(database, c, "tuesday", 24 * HOUR)
    await ingest(
        database,
        [
            message_row(c, "r1", minutes=30, kind="reply", reply_to=monday, member="mod"),
            message_row(c, "r2", minutes=24 * HOUR + 30, member="bob"),
            message_row(c, "k1", minutes=40, member="mod", kind="choice")._replace(
                target="games:poll:x"
            ),
            message_row(c, "k2", minutes=41, member="bob", kind="choice")._replace(
                target="games:poll:y"
            ),
        ],
    )
    scope = Scope(community_id=c, exclude=frozenset({"mod"}))
    async with database.read() as uow:
        [rate] = await ritual_response_rates(uow, scope, WEEK)
        clicks = await clicks_by_feature(uow, scope, WEEK)
    # Only the moderator answered Monday's post: it counts as unanswered.
    assert rate.variables == {"ritual": "question", "posts": 2, "answered": 1}
    assert [(f.variables["feature"], f.value) for f in clicks] == [("games", 1)]
