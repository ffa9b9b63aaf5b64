"""Platform errors on a scheduled ritual: 429 with Retry-After, 500, 403, a deleted channel."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from bot.ports import Forbidden, NotFound, RateLimited, Unavailable
from tests.fakes import PATIENCE, until
from tests.faults.conftest import AT_NINE, MOD, QUESTION_JOB, FaultBot, TimedPlatform

pytestmark = pytest.mark.delivery

WEEK = timedelta(days=7)


async def start_timed(bot: FaultBot, *failures: Exception) -> TimedPlatform:
    platform = TimedPlatform(name="console", clock=bot.clock)
    platform.failures.extend(failures)
    await bot.start(platform=platform)
    return platform


async def run_until_settled(bot: FaultBot, platform: TimedPlatform, waits: list[int]) -> None:
    """Reach 09:00, then move the clock by each of `waits` seconds as each attempt fails."""
    await bot.clock.set(AT_NINE)
    for attempt, wait in enumerate(waits, start=1):
        await until(lambda attempt=attempt: platform.attempts == attempt)
        await bot.clock.advance(timedelta(seconds=wait - 1))
        assert platform.attempts == attempt  # not a moment before the wait is over
        await bot.clock.advance(timedelta(seconds=1))
    assert bot.app is not None
    await asyncio.wait_for(bot.app.scheduler.idle(), timeout=PATIENCE)


def seconds_after_nine(times: list[datetime]) -> list[float]:
    return [(moment - AT_NINE).total_seconds() for moment in times]


async def test_a_rate_limit_waits_its_retry_after_and_posts_once(fault_bot: FaultBot) -> None:
    """Nothing lost, nothing doubled: after a 429 asking for 30 s, the post goes out
    once, 30 s later on the clock; the ledger has the run once (done) and the outbox
    row is sent.
    """
    platform = await start_timed(fault_bot, RateLimited(30))
    await run_until_settled(fault_bot, platform, [30])
    assert seconds_after_nine(platform.attempt_times) == [0, 30]
    assert len(platform.posts()) == 1
    assert fault_bot.rows("SELECT status FROM run_ledger WHERE job_id LIKE 'posts:%'") == [
        ("done",)
    ]
    assert fault_bot.rows("SELECT status FROM outbox") == [("sent",)]


async def test_server_errors_back_off_exponentially_then_post_once(fault_bot: FaultBot) -> None:
    """Nothing doubled: three 500s are retried 1 s, 2 s and 4 s apart on the clock, and
    the fourth attempt posts once, with the same nonce as the first.
    """
    platform = await start_timed(
        fault_bot, Unavailable("500"), Unavailable("502"), Unavailable("503")
    )
    await run_until_settled(fault_bot, platform, [1, 2, 4])
    assert seconds_after_nine(platform.attempt_times) == [0, 1, 3, 7]
    assert len(platform.posts()) == 1
    assert fault_bot.rows("SELECT status, nonce FROM outbox") == [("sent", platform.sent[0].nonce)]


async def test_an_outage_that_outlasts_the_retries_fails_the_post_but_not_the_ritual(
    fault_bot: FaultBot,
) -> None:
    """Bounded: five 500s in a row (1, 2, 4 and 8 s apart) mark that week's post failed,
    with the error kept in the outbox; the ritual is not paused (the fault is the
    platform's, and passing), so next week's post goes out.
    """
    platform = await start_timed(fault_bot, *(Unavailable("500") for _ in range(5)))
    await run_until_settled(fault_bot, platform, [1, 2, 4, 8])
    assert platform.attempts == 5
    assert platform.posts() == []
    assert fault_bot.rows("SELECT status, last_error FROM outbox") == [
        ("failed", "Unavailable: 500")
    ]
    assert fault_bot.rows("SELECT count(*) FROM rituals WHERE paused") == [(0,)]
    await fault_bot.at(AT_NINE + WEEK)
    assert len(platform.posts()) == 1


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (Forbidden("403 Missing Permissions"), "forbidden"),
        (NotFound("404 Unknown Channel"), "not_found"),
    ],
)
async def test_a_refused_ritual_post_is_not_retried_and_the_moderators_are_told(
    fault_bot: FaultBot, error: Exception, reason: str
) -> None:
    """Nothing retried in vain, nothing hidden, no loop: a 403 (missing permission) or
    a deleted channel is tried once; the outbox row is failed with the error, the run
    is in the ledger once, the ritual pauses itself (reason `refused`) and the
    moderators' channel gets one notice saying what to fix. Next week's run is skipped
    without trying the platform; once a moderator resumes it, the ritual posts again.
    """
    platform = await start_timed(fault_bot, error)
    await fault_bot.at(AT_NINE)
    [notice] = platform.sent
    assert notice.where is not None and notice.where.channel_id == "mods"
    assert fault_bot.said(notice.post, "ritual", "reason") == (
        "messages.posts.refused",
        {"ritual": "question", "reason": reason},
    )
    assert platform.attempts == 2  # the refused post, then the notice
    assert fault_bot.rows("SELECT job_id, status, last_error FROM outbox ORDER BY id") == [
        (QUESTION_JOB, "failed", f"{type(error).__name__}: {error}"),
        (None, "sent", None),
    ]
    assert fault_bot.rows("SELECT status FROM run_ledger WHERE job_id LIKE 'posts:%'") == [
        ("done",)
    ]
    assert fault_bot.rows("SELECT paused, paused_reason FROM rituals") == [(1, "refused")]

    await fault_bot.at(AT_NINE + WEEK)
    assert platform.attempts == 2  # the paused ritual did not try again, nor tell again
    assert fault_bot.rows(
        "SELECT status, detail FROM run_ledger WHERE job_id LIKE 'posts:%' ORDER BY scheduled_for"
    ) == [("done", None), ("skipped", "paused")]
    await fault_bot.command(MOD, "posts", "list")
    key, listing = fault_bot.said(platform.posts("respond")[-1], "rituals")
    assert key == "messages.posts.list.body"
    [ritual] = listing["rituals"]  # type: ignore[misc]
    assert (ritual["paused"], ritual["reason"]) == (True, "refused")

    await fault_bot.command(MOD, "posts", "resume", "question")
    await fault_bot.at(AT_NINE + 2 * WEEK)
    assert [s.where.channel_id for s in platform.sent if s.where][-1] == "general"
    assert fault_bot.rows("SELECT paused FROM rituals") == [(0,)]


async def test_a_moderator_who_cannot_be_told_leaves_the_refusal_in_the_log(
    fault_bot: FaultBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing crashes and nothing loops: when the moderators' channel refuses too, the
    notice is marked failed, the ritual's run stays recorded once, and the log says it.
    """
    platform = await start_timed(fault_bot, Forbidden("403"), Forbidden("403 mods"))
    await fault_bot.at(AT_NINE)
    assert platform.sent == []
    assert platform.attempts == 2
    assert fault_bot.rows("SELECT status FROM outbox ORDER BY id") == [("failed",), ("failed",)]
    assert fault_bot.rows("SELECT status FROM run_ledger WHERE job_id LIKE 'posts:%'") == [
        ("done",)
    ]
    assert "the platform refused the post" in caplog.text
    await fault_bot.command(MOD, "posts", "list")
    assert platform.posts("respond")


async def test_a_retry_after_beyond_the_wait_limit_fails_the_post_without_waiting(
    fault_bot: FaultBot,
) -> None:
    """Bounded: a 429 asking for an hour is not waited out (the limit is five minutes):
    that week's post is failed at once, with the error kept in the outbox, the run is in
    the ledger once, nobody is told (it passes), and next week's post goes out.
    """
    platform = await start_timed(fault_bot, RateLimited(3600))
    await fault_bot.at(AT_NINE)
    assert seconds_after_nine(platform.attempt_times) == [0]
    assert platform.sent == []
    assert fault_bot.rows("SELECT status, last_error FROM outbox") == [
        ("failed", "RateLimited: rate limited, retry after 3600.0s")
    ]
    assert fault_bot.rows("SELECT status FROM run_ledger WHERE job_id LIKE 'posts:%'") == [
        ("done",)
    ]
    await fault_bot.at(AT_NINE + WEEK)
    assert len(platform.posts()) == 1
