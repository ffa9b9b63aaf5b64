"""First answers stored by reports: read back by the next report, dropped with the log."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select

from bot.analytics import Period, Scope, _questions, questions
from bot.analytics._questions import settle_answers
from bot.storage import QUESTION, Database, MemberTable
from bot.storage.analytics import AnswerCheckRow, QuestionAnswerRow
from bot.storage.models import InteractionLogRow
from tests.contract.conftest import at
from tests.contract.test_analytics import DAY, WEEK, history, ingest, report, row, values
from tests.fakes import PATIENCE

pytestmark = pytest.mark.report
T = TypeVar("T")


@pytest.fixture
def no_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Look again at no log row already looked at: the few rows of a test are all within
    the margin kept for writers' batches that commit late (`RECHECKED_IDS`)."""
    monkeypatch.setattr(_questions, "RECHECKED_IDS", 0)


async def stored(database: Database) -> dict[str, timedelta | None]:
    """Each looked-up question's stored wait for its first answer (None: no answer yet)."""
    async with database.read() as uow:
        rows = await uow.connection.execute(
            select(
                QuestionAnswerRow.message_id,
                QuestionAnswerRow.asked_at,
                QuestionAnswerRow.answered_at,
            )
        )
        return {
            message_id: None if answered is None else answered - asked
            for message_id, asked, answered in rows
        }


async def checked(database: Database, community_id: int) -> int | None:
    async with database.read() as uow:
        return (
            await uow.connection.execute(
                select(AnswerCheckRow.checked_id).where(AnswerCheckRow.community_id == community_id)
            )
        ).scalar_one_or_none()


async def newest_log_id(database: Database) -> int:
    async with database.read() as uow:
        return (await uow.connection.execute(select(func.max(InteractionLogRow.id)))).scalar_one()


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

    # q1 was answered two hours later; q2 has no answer: stored, looked up as far as the
    # log's newest row, so the next report looks for its answer only among rows after.
    assert await stored(database) == {"q1": timedelta(hours=2), "q2": None}
    assert await checked(database, community_id) == await newest_log_id(database)
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


async def test_answers_written_after_a_lookup_are_found_and_not_the_asker_or_a_bot(
    database: Database, community_id: int
) -> None:
    await ingest(database, history(community_id))
    scope = Scope(community_id=community_id)
    await report(database, scope)
    before = await newest_log_id(database)

    # After the lookup: alice in q2's thread, a bot replying, then erin in the thread and,
    # written later but dated earlier (a replay after an outage), frank replying.
    await ingest(
        database,
        [
            row(community_id, "self2", 2 * DAY + 200, "alice", "reply", thread_id="q2"),
            row(community_id, "bot2", 2 * DAY + 201, "helper-bot", "reply", reply_to="q2")._replace(
                meta={"bot": True}
            ),
            row(community_id, "erin", 2 * DAY + 300, "erin", "reply", thread_id="q2"),
        ],
    )
    await report(database, scope)
    assert await stored(database) == {"q1": timedelta(hours=2), "q2": timedelta(hours=5)}

    await ingest(
        database, [row(community_id, "late", 2 * DAY + 100, "frank", "reply", reply_to="q2")]
    )
    await report(database, scope)
    # Once answered, a stored answer is kept: it is not looked for again.
    assert await stored(database) == {"q1": timedelta(hours=2), "q2": timedelta(hours=5)}
    assert await newest_log_id(database) > before


async def test_a_question_still_unanswered_moves_its_lookup_forward(
    database: Database, community_id: int
) -> None:
    await ingest(database, history(community_id))
    scope = Scope(community_id=community_id)
    await report(database, scope)
    first = await checked(database, community_id)
    await ingest(database, [row(community_id, "noise", 2 * DAY + 500, "dan", "message")])
    await report(database, scope)

    assert first is not None
    assert await checked(database, community_id) == await newest_log_id(database) > first
    assert (await stored(database))["q2"] is None


async def test_erasing_a_member_drops_the_answers_found_in_their_rows(
    database: Database, community_id: int, no_margin: None
) -> None:
    await ingest(database, history(community_id))
    scope = Scope(community_id=community_id)
    await report(database, scope)
    assert await stored(database) == {"q1": timedelta(hours=2), "q2": None}

    async with database.transaction() as uow:
        await uow.privacy.erase(MemberTable(model=InteractionLogRow), community_id, "bob")
    # bob answered q1: it goes, to be looked up again; q2 owes nothing to bob's rows.
    assert await stored(database) == {"q2": None}
    again = values(await report(database, scope))

    assert await stored(database) == {"q1": None, "q2": None}
    assert again["first_reply"] is None  # bob's answer is gone, and so is what it told


async def test_erasing_an_asker_drops_their_questions_and_keeps_the_others(
    database: Database, community_id: int
) -> None:
    await ingest(database, history(community_id))
    await ingest(
        database,
        [
            row(community_id, "qb", DAY + 30, "bob", "message", target=QUESTION, message_id="qb"),
            row(community_id, "ab", DAY + 90, "carol", "reply", reply_to="qb"),
        ],
    )
    scope = Scope(community_id=community_id)
    await report(database, scope)
    assert await stored(database) == {
        "q1": timedelta(hours=2),
        "q2": None,
        "qb": timedelta(hours=1),
    }

    async with database.transaction() as uow:
        await uow.privacy.erase(MemberTable(model=InteractionLogRow), community_id, "alice")

    # alice asked q1 and q2: they go with her rows; bob's question and carol's answer stay.
    assert await stored(database) == {"qb": timedelta(hours=1)}
    assert values(await report(database, scope))["questions"] == 1


async def test_purging_old_rows_drops_the_answers_of_questions_asked_before(
    database: Database, community_id: int
) -> None:
    await ingest(database, history(community_id))
    await report(database, Scope(community_id=community_id))

    async with database.transaction() as uow:
        await uow.privacy.purge_log(community_id, at(DAY + 1))

    assert await stored(database) == {"q2": None}


async def test_a_report_looks_up_the_questions_logged_since_and_those_asked_before_its_last(
    database: Database, community_id: int, no_margin: None
) -> None:
    await ingest(database, history(community_id))
    old_question = [
        row(community_id, "q0", -12 * DAY, "carol", "message", target=QUESTION, message_id="q0"),
        row(community_id, "answer0", -12 * DAY + 60, "dan", "reply", reply_to="q0"),
    ]
    await ingest(database, old_question)
    scope = Scope(community_id=community_id)
    await report(database, scope)
    # q0 was asked before this report's two weeks: not looked up.
    assert set(await stored(database)) == {"q1", "q2"}

    # Logged after that report, dated in its week (a replay after an outage): looked up.
    late = [
        row(community_id, "q3", 3 * DAY, "erin", "message", target=QUESTION, message_id="q3"),
        row(community_id, "answer3", 3 * DAY + 30, "dan", "reply", reply_to="q3"),
    ]
    await ingest(database, late)
    assert values(await report(database, scope))["questions"] == 3

    # A report reaching further back looks up the older questions too.
    three_weeks = Period(start=WEEK.start - timedelta(days=14), end=WEEK.end)
    longer = values(await report(database, scope, three_weeks))

    assert await stored(database) == {
        "q0": timedelta(hours=1),
        "q1": timedelta(hours=2),
        "q2": None,
        "q3": timedelta(minutes=30),
    }
    assert longer["questions"] == 4


async def test_an_erasure_during_a_lookup_unsets_it_once_the_lookup_is_done(
    database: Database, community_id: int
) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite runs one write at a time")
    await ingest(database, history(community_id))
    scope = Scope(community_id=community_id)
    await report(database, scope)

    async def erase_bob() -> None:
        async with database.transaction() as uow:
            await uow.privacy.erase(MemberTable(model=InteractionLogRow), community_id, "bob")

    async def waiting_locks() -> int:
        async with database.read() as uow:
            found = await uow.connection.exec_driver_sql(
                "SELECT count(*) FROM pg_locks WHERE NOT granted"
            )
            return int(found.scalar_one())

    def elsewhere(work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run `work` as a task outside this one's unit of work (a context of its own)."""
        return asyncio.create_task(work, context=contextvars.Context())

    async with database.transaction() as uow:  # a report's lookup, not committed yet
        await settle_answers(uow.connection, community_id, WEEK.previous().since, WEEK.until)
        erasing = elsewhere(erase_bob())
        async with asyncio.timeout(PATIENCE):
            while not erasing.done() and not await elsewhere(waiting_locks()):  # noqa: ASYNC110
                await asyncio.sleep(0)
        assert not erasing.done(), "the erasure did not wait for the lookup"
    await erasing

    async with database.read() as uow:
        complete = (
            await uow.connection.execute(
                select(AnswerCheckRow.complete_id).where(
                    AnswerCheckRow.community_id == community_id
                )
            )
        ).scalar_one()
    assert complete is None  # bob's answer to q1 went: the next report looks it up again
    await report(database, scope)
    assert await stored(database) == {"q1": None, "q2": None}
