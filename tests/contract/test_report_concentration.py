"""Concentration worked out in SQL agrees with the Python definitions, ties included."""

from __future__ import annotations

import pytest

from bot.analytics import Scope, build_report, gini, top_share
from bot.storage import Database
from tests.contract.test_analytics import AS_OF, WEEK, ingest, row, values

pytestmark = pytest.mark.report

# 21 rowers (the top tenth is 3 of them), with ties, and two members who only react.
POSTS = [7, 7, 7, 5, 5, 3, 3, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 9]


async def test_gini_and_top_share_match_their_definitions(
    database: Database, community_id: int
) -> None:
    rows = [
        row(community_id, f"p{member}-{i}", 60 + i, f"m{member}", "message")
        for member, count in enumerate(POSTS)
        for i in range(count)
    ]
    rows += [
        row(community_id, f"r{i}", 90, f"reactor{i}", "reaction", target="+1") for i in range(2)
    ]
    await ingest(database, rows)

    report = await build_report(database, Scope(community_id=community_id), WEEK, as_of=AS_OF)

    got = values(report)
    assert (report.participation.rowers, report.participation.reactors) == (21, 2)
    assert got["gini"] == pytest.approx(gini(POSTS))
    assert got["top_share"] == pytest.approx(top_share(POSTS))
    assert got["top_share"] == pytest.approx((9 + 7 + 7) / sum(POSTS))
