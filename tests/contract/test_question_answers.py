"""First answers stored by reports: read back by the next report, dropped with the log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.analytics import Scope, questions
from bot.storage import Database, MemberTable
from bot.storage.analytics import QuestionAnswerRow
from bot.storage.models import InteractionLogRow
from tests.contract.conftest import at
from tests.contract.test_analytics import DAY, WEEK, history, ingest, report, row, values

pytestmark = pytest.mark.report


async def stored(database: Database) -> dict[str, timedelta]:
    async with database.read() as uow:
        rows = await uow.connection.execute(
            select(
                QuestionAnswerRow.message_id,
                QuestionAnswerRow.asked_at,
                QuestionAnswerRow.answered_at,
            )
        )
        return {message_id: answered - asked for message_id, asked, answered in rows}


async def found(database: Database, community_id: int) -> dict[str, tuple[bool, object]]:
    async with database.read() as uow:
        asked = await questions(uow, Scope(community_id=community_id), WEEK.since, WEEK.until)
    return {q.message_id: (q.stored, q.waited()) for q in asked}


async def test_a_report_stores_first_answers_the_next_reads(
    database: Database, community_id: int
) -> None:
    await ingest(database, history(community_id))
    scope = Scope(community_id=community_id, exclude=frozenset({"mod"}))
    first = values(await report(database, scope))

    # q1 was answered two hours later; q2 (no answer) is not stored, so it is looked up again.
    assert await stored(database) == {"q1": timedelta(hours=2)}
    assert await found(database, community_id) == {
        "q1": (True, timedelta(hours=2)),
        "q2": (False, None),
    }
    await ingest(database, [row(community_id, "d1", 2 * DAY + 90, "dan", "reply", reply_to="q2")])
    second = values(await report(database, scope))

    assert (first["questions"], first["unanswered"], first["first_reply"]) == (2, 1, 2.0)
    assert (second["questions"], second["unanswered"]) == (2, 0)
    assert second["first_reply"] == pytest.approx((2.0 + 1.5) / 2)
    assert await stored(database) == {"q1": timedelta(hours=2), "q2": timedelta(hours=1.5)}


async def test_erasing_a_member_drops_the_answers_found_in_their_rows(
    database: Database, community_id: int
) -> None:
    await ingest(database, history(community_id))
    scope = Scope(community_id=community_id)
    await report(database, scope)
    assert await stored(database) == {"q1": timedelta(hours=2)}

    async with database.transaction() as uow:
        await uow.privacy.erase(MemberTable(model=InteractionLogRow), community_id, "bob")
    again = values(await report(database, scope))

    assert await stored(database) == {}
    assert again["first_reply"] is None  # bob's answer is gone, and so is what it told


async def test_purging_old_rows_drops_the_answers_of_questions_asked_before(
    database: Database, community_id: int
) -> None:
    await ingest(database, history(community_id))
    await report(database, Scope(community_id=community_id))

    async with database.transaction() as uow:
        await uow.privacy.purge_log(community_id, at(DAY + 1))

    assert await stored(database) == {}
