"""Which posts work: each ritual and prompt, replies, repliers, quiet repliers, flags."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.analytics import PostTally, Scope, build_report, silent_prompts
from bot.storage import Database
from tests.contract.conftest import message_row
from tests.contract.test_analytics import AS_OF, WEEK, ingest
from tests.contract.test_report_cohorts import minutes

pytestmark = pytest.mark.report

HOUR = 60


async def sent(
    database: Database,
    c: int,
    ritual: str,
    when: tuple[int, int, int],
    content: tuple[str, str] | None,
    *,
    channel: str = "general",
    thread: str | None = None,
) -> str:
    """Queue and send one ritual post at noon UTC on `when`; return its message id."""
    noon = datetime(*when, 12, tzinfo=UTC)
    nonce = f"{ritual}@{noon:%Y%m%d}"
    async with database.transaction() as uow:
        outbox_id = await uow.outbox.add(
            community_id=c,
            nonce=nonce,
            channel_id=channel,
            thread_id=None,
            payload={"community": "fake:guild-1", "post": {"text": "?"}},
            job_id=f"posts:fake:guild-1:{ritual}",
            content=content,
        )
        await uow.outbox.mark_sent(outbox_id, f"post-{nonce}", thread, at=noon)
    return f"post-{nonce}"


def after(when: tuple[int, int, int], hours: float) -> float:
    return minutes(*when) + hours * HOUR


async def test_each_ritual_and_prompt(database: Database, community_id: int) -> None:
    c = community_id
    a1, a2 = (2025, 2, 3), (2025, 2, 10)
    first = await sent(database, c, "question", a1, ("discussion", "a"))
    second = await sent(database, c, "question", a2, ("discussion", "a"))
    for day in (6, 13, 20):  # a prompt that never draws a reply
        await sent(database, c, "question", (2025, 1, day), ("discussion", "silent"))
    await sent(database, c, "question", (2024, 12, 2), None)  # sent before prompts were recorded
    photo = (2025, 2, 17)
    await sent(database, c, "photo", photo, ("photos", "p1"), channel="pics", thread="t1")
    await sent(database, c, "question", (2025, 3, 3), ("discussion", "a"))  # March: not over
    await ingest(
        database,
        [
            # bob was active in January (elsewhere); carol never before: she was quiet.
            message_row(c, "bob-jan", minutes=minutes(2025, 1, 18), member="bob", channel="other"),
            message_row(c, "r1", minutes=after(a1, 1), kind="reply", reply_to=first, member="bob"),
            message_row(c, "r2", minutes=after(a1, 3), member="carol"),  # in the channel
            message_row(c, "r3", minutes=after(a1, 5), member="bob"),
            message_row(c, "late", minutes=after(a1, 25), member="zed"),  # after a day
            # dan was active two days before the second post.
            message_row(c, "dan", minutes=minutes(2025, 2, 8), member="dan", channel="other"),
            message_row(c, "r4", minutes=after(a2, 2), kind="reply", reply_to=second, member="dan"),
            message_row(c, "mod", minutes=after(a2, 1), member="mod"),  # left out
            # The photo has a thread: only replies in it count, not the channel.
            message_row(
                c, "p1", minutes=after(photo, 0.5), member="eve", channel="pics", thread="t1"
            ),
            message_row(c, "p2", minutes=after(photo, 1), member="frank", channel="pics"),
            message_row(c, "p3", minutes=after(photo, 1), member="b", thread="t1", bot=True),
        ],
    )
    scope = Scope(community_id=c, exclude=frozenset({"mod"}))

    report = await build_report(database, scope, WEEK, as_of=AS_OF)

    posts = report.posts
    assert posts is not None
    assert (posts.posts, posts.enough) == (7, True)
    assert posts.rituals == (
        PostTally(
            name="photo",
            posts=1,
            replies=1,
            replied=1,
            repliers=1,
            quiet_repliers=1,
            first_reply_hours=0.5,
        ),
        PostTally(
            name="question",
            posts=6,
            replies=4,
            replied=2,
            repliers=3,
            quiet_repliers=1,
            first_reply_hours=1.5,
        ),
    )
    prompts = {p.name: p for p in posts.prompts}
    assert sorted(prompts) == ["discussion/a", "discussion/silent", "photos/p1"]
    assert prompts["discussion/a"] == PostTally(
        name="discussion/a",
        posts=2,
        replies=4,
        replied=2,
        repliers=3,
        quiet_repliers=1,
        first_reply_hours=1.5,
    )
    assert (prompts["discussion/silent"].posts, prompts["discussion/silent"].replies) == (3, 0)
    assert [p.name for p in posts.silent] == ["discussion/silent"]
    assert [p.name for p in posts.best] == ["discussion/a"]  # photos/p1 was used once
    # The rotation rests what the report flags, from the same months and replies.
    async with database.read() as uow:
        assert await silent_prompts(uow, scope, WEEK.end, "discussion") == {"silent"}
        assert await silent_prompts(uow, scope, WEEK.end, "photos") == set()
