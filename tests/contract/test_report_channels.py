"""Where conversations happen: each channel's figures and the channels gone quiet."""

from __future__ import annotations

import pytest

from bot.analytics import ChannelActivity, Scope, build_report
from bot.storage import QUESTION, Database
from tests.contract.test_analytics import AS_OF, DAY, WEEK, ingest, row

pytestmark = pytest.mark.report


def history(c: int) -> list:
    rows = [
        # The week before: 30 posts in #projects, 5 in #general.
        *(
            row(c, f"old-p{i}", -6 * DAY + i, "bob", "message", channel_id="projects")
            for i in range(30)
        ),
        *(row(c, f"old-g{i}", -5 * DAY + i, "carol", "message") for i in range(5)),
        # This week: #projects falls to 10 posts; #general has 8 posts and 3 reactions,
        # and the moderator's 4 posts, which do not count.
        *(row(c, f"p{i}", DAY + i, "bob", "message", channel_id="projects") for i in range(10)),
        *(row(c, f"g{i}", 2 * DAY + i, "carol", "message") for i in range(8)),
        *(row(c, f"r{i}", 2 * DAY + 20 + i, "dan", "reaction", target="+1") for i in range(3)),
        *(row(c, f"mod{i}", 2 * DAY + 30 + i, "mod", "message") for i in range(4)),
        # #help: two questions, one answered an hour later, one never.
        row(
            c,
            "q1",
            3 * DAY,
            "alice",
            "message",
            channel_id="help",
            target=QUESTION,
            message_id="q1",
        ),
        row(
            c,
            "q2",
            3 * DAY + 5,
            "alice",
            "message",
            channel_id="help",
            target=QUESTION,
            message_id="q2",
        ),
        row(c, "a1", 3 * DAY + 60, "bob", "reply", channel_id="help", reply_to="q1"),
    ]
    return rows


async def test_each_channel_and_the_quiet_ones(database: Database, community_id: int) -> None:
    await ingest(database, history(community_id))
    scope = Scope(community_id=community_id, exclude=frozenset({"mod"}))

    report = await build_report(database, scope, WEEK, as_of=AS_OF)

    assert list(report.channels) == [
        ChannelActivity(
            channel_id="projects", posts=10, reactions=0, previous_posts=30, questions=0, answered=0
        ),
        ChannelActivity(
            channel_id="general", posts=8, reactions=3, previous_posts=5, questions=0, answered=0
        ),
        ChannelActivity(
            channel_id="help", posts=3, reactions=0, previous_posts=0, questions=2, answered=1
        ),
    ]
    assert [c.channel_id for c in report.channels if c.quiet] == ["projects"]
    assert report.channels[2].answered_share == 0.5


async def test_a_channel_report_has_no_channel_table(database: Database, community_id: int) -> None:
    await ingest(database, history(community_id))
    scope = Scope(community_id=community_id, channel_id="help")

    report = await build_report(database, scope, WEEK, as_of=AS_OF)

    assert report.channels == ()
