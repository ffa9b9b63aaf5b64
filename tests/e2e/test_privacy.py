"""Members' data rights and retention, end to end: data, export, forget, purges, departure."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.domain import BotAdded, BotRemoved, Member
from bot.features.privacy import CORE_DATA
from bot.features.privacy._commands import CANCEL, CONFIRM
from bot.storage import MemberTable
from bot.storage.models import ActivityDailyRow, InteractionLogRow, MemberRow, OutboxRow
from tests.e2e.conftest import ALICE, KEY, MOD, Terreau, next_id

pytestmark = [pytest.mark.privacy, pytest.mark.me]

BOB = Member(id="bob", display_name="Bob")
# The daily purge runs at 03:17 Paris time; this is the first one after BEFORE.
FIRST_PURGE = datetime(2026, 11, 24, 2, 17, tzinfo=UTC)


async def chat(terreau: Terreau, *members: Member) -> None:
    for member in members:
        await terreau.say(member)
        await terreau.say(member, reply_to="u1")
    assert terreau.app is not None
    await terreau.app.writer.flush()


async def count(terreau: Terreau, model: type, member_id: str) -> int:
    assert terreau.app is not None
    await terreau.app.writer.flush()
    async with terreau.app.database.read() as uow:
        return await uow.privacy.count(MemberTable(model=model), 1, member_id)


def read_json(path: Path) -> dict[str, object]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def exists(path: Path) -> bool:
    return path.exists()


def last_response(terreau: Terreau, *names: str) -> tuple[str, dict[str, object]]:
    """The prompt of the last answer, and the variables `names` it showed."""
    return terreau.prompts.said(terreau.platform.posts("respond")[-1], *names)


def kept(terreau: Terreau) -> dict[str, object]:
    """What `/terreau me data` listed in its last answer: the count of each kind of data."""
    answer = terreau.platform.posts("respond")[-1]
    assert terreau.said(answer) == "privacy.data.body"
    return {
        r.key.removeprefix("privacy.kinds."): r.variables["count"]
        for r in reversed(terreau.prompts.within(answer))
        if r.key.startswith("privacy.kinds.")
    }


async def test_me_data_tells_a_member_what_is_kept_about_them(terreau: Terreau) -> None:
    await terreau.start()
    await chat(terreau, ALICE, BOB)
    await terreau.command(ALICE, "me", "data")
    shown = kept(terreau)
    assert shown["interactions"] == 3  # two messages and this command
    assert (shown["daily_activity"], shown["profile"], shown["optouts"]) == (1, 1, 0)
    assert terreau.platform.sent[-1].private


async def test_me_export_gives_the_member_their_data_and_only_theirs(
    terreau: Terreau, tmp_path: Path
) -> None:
    app = await terreau.start()
    await chat(terreau, ALICE, BOB)
    await terreau.command(ALICE, "me", "export")
    [post] = terreau.platform.posts("respond")
    assert post.file_path is not None
    path = Path(post.file_path)
    assert path.parent.parent == tmp_path / "exports"
    document = read_json(path)
    assert document["member_id"] == "alice"
    assert set(document["data"]) >= {kind.name for kind in CORE_DATA} | {"game_scores"}
    assert [row["kind"] for row in document["data"]["interactions"]] == [
        "message",
        "reply",
        "command",
    ]
    assert {row["member_id"] for row in document["data"]["interactions"]} == {"alice"}
    assert document["data"]["profile"][0]["display_name"] == "Alice"
    async with app.database.read() as uow:
        [entry] = await uow.privacy.audit_log(1)
    assert entry.action == "export"
    assert "alice" not in json.dumps(entry.details)


async def test_me_forget_erases_after_confirmation_and_keeps_the_opt_out(
    terreau: Terreau,
) -> None:
    app = await terreau.start()
    await chat(terreau, ALICE, BOB)
    async with app.database.transaction() as uow:
        await uow.optouts.add(1, "alice", "tagging")
    await terreau.command(ALICE, "me", "forget")
    question = terreau.platform.posts("respond")[-1]
    assert [choice.id for choice in question.choices] == [CONFIRM, CANCEL]
    assert await count(terreau, InteractionLogRow, "alice") == 3  # nothing before confirming
    await terreau.choose(ALICE, CONFIRM)
    # Two messages, the command and the click; a daily summary; the member record.
    assert last_response(terreau, "total") == ("privacy.forget.done", {"total": 6})
    for model in (InteractionLogRow, ActivityDailyRow, MemberRow):
        assert await count(terreau, model, "alice") == 0
        assert await count(terreau, model, "bob") > 0
    async with app.database.read() as uow:
        assert await uow.optouts.has(1, "alice", "tagging")
        entries = await uow.privacy.audit_log(1)
    assert [e.action for e in entries] == ["forget"]
    assert "alice" not in json.dumps(entries[0].details)


async def test_a_confirmation_expires_and_can_be_cancelled(terreau: Terreau) -> None:
    await terreau.start()
    await chat(terreau, ALICE)
    await terreau.command(ALICE, "me", "forget")
    await terreau.clock.advance(timedelta(minutes=16))
    await terreau.choose(ALICE, CONFIRM)
    assert last_response(terreau) == ("privacy.forget.expired", {})
    assert await count(terreau, MemberRow, "alice") == 1
    await terreau.command(ALICE, "me", "forget")
    await terreau.choose(ALICE, CANCEL)
    assert last_response(terreau) == ("privacy.forget.cancelled", {})
    await terreau.choose(ALICE, CONFIRM)  # the cancelled request cannot be confirmed later
    assert last_response(terreau) == ("privacy.forget.expired", {})
    # Two messages, two commands and three clicks: all still there.
    assert await count(terreau, InteractionLogRow, "alice") == 7


async def test_a_member_cannot_confirm_someone_elses_erasure(terreau: Terreau) -> None:
    await terreau.start()
    await chat(terreau, ALICE, BOB)
    await terreau.command(ALICE, "me", "forget")
    await terreau.choose(BOB, CONFIRM)
    assert last_response(terreau) == ("privacy.forget.expired", {})
    assert await count(terreau, MemberRow, "alice") == 1
    assert await count(terreau, InteractionLogRow, "alice") == 3
    assert await count(terreau, InteractionLogRow, "bob") == 3


PRIVACY = """
[communities.privacy]
retention_days = 10
content_retention_days = 2
rollup_retention_days = 20
departure_grace_days = 30
"""
DEPARTURE = """
[communities.privacy]
departure_grace_days = 30
"""


async def test_the_daily_purge_keeps_each_kind_of_data_within_its_retention(
    terreau: Terreau,
) -> None:
    app = await terreau.start(extra=PRIVACY)
    await chat(terreau, ALICE)
    await terreau.command(ALICE, "me", "export")
    export = Path(terreau.platform.posts("respond")[-1].file_path or "")
    async with app.database.transaction() as uow:
        await uow.connection.execute(
            InteractionLogRow.__table__.update().values(content="kept text")
        )
        sent = await uow.outbox.add(
            community_id=1,
            nonce="welcome-alice",
            channel_id="general",
            thread_id=None,
            payload={"community": KEY, "post": {"text": "Welcome, Alice!"}},
        )
        await uow.outbox.mark_sent(sent, "m-welcome", None)
    await terreau.at(FIRST_PURGE)
    assert exists(export)
    assert await count(terreau, InteractionLogRow, "alice") == 3
    await terreau.at(FIRST_PURGE + timedelta(days=1))
    assert not exists(export)  # exports last a day
    await terreau.at(FIRST_PURGE + timedelta(days=2))
    async with app.database.read() as uow:
        texts = await uow.connection.execute(select(InteractionLogRow.content))
        assert set(texts.scalars()) == {None}  # text went after two days
    await terreau.at(FIRST_PURGE + timedelta(days=9))
    assert await count(terreau, InteractionLogRow, "alice") == 3
    async with app.database.read() as uow:
        nonces = await uow.connection.execute(select(OutboxRow.nonce))
        assert list(nonces.scalars()) == ["welcome-alice"]
    await terreau.at(FIRST_PURGE + timedelta(days=10))
    assert await count(terreau, InteractionLogRow, "alice") == 0  # the log after ten
    async with app.database.read() as uow:  # and Terreau's copies of what it sent
        nonces = await uow.connection.execute(select(OutboxRow.nonce))
        assert list(nonces.scalars()) == []
    assert await count(terreau, ActivityDailyRow, "alice") == 1  # rollups stay longer
    await terreau.at(FIRST_PURGE + timedelta(days=20))
    assert await count(terreau, ActivityDailyRow, "alice") == 0
    async with app.database.read() as uow:
        actions = [entry.action for entry in await uow.privacy.audit_log(1)]
    assert actions == ["export", "purge", "purge", "purge", "purge"]  # only purges that deleted


async def test_a_community_that_removed_terreau_loses_its_data_after_the_grace(
    terreau: Terreau,
) -> None:
    app = await terreau.start(extra=DEPARTURE)
    await chat(terreau, ALICE, BOB)
    async with app.database.transaction() as uow:
        await uow.optouts.add(1, "alice", "dm")
    await terreau.deliver(
        BotRemoved(event_id=next_id(), community=KEY, occurred_at=terreau.clock.now())
    )
    await terreau.at(FIRST_PURGE + timedelta(days=29))
    assert await count(terreau, InteractionLogRow, "bob") == 2  # within the grace
    await terreau.at(FIRST_PURGE + timedelta(days=30))
    async with app.database.read() as uow:
        left = {
            model.__tablename__: (
                await uow.connection.execute(select(func.count()).select_from(model))
            ).scalar_one()
            for model in (InteractionLogRow, ActivityDailyRow, MemberRow)
        }
        assert not await uow.optouts.has(1, "alice", "dm")
        [*_, entry] = await uow.privacy.audit_log(1)
    assert left == {"interactions": 0, "activity_daily": 0, "members": 0}
    assert entry.action == "community_deleted"


async def test_restarts_during_the_grace_do_not_postpone_the_deletion(terreau: Terreau) -> None:
    """The grace runs from the first removal: a restart (which re-reads every configured
    community) and an adapter reporting the same removal again at start-up change nothing.
    """
    await terreau.start(extra=DEPARTURE)
    await chat(terreau, ALICE, BOB)
    await terreau.deliver(
        BotRemoved(event_id=next_id(), community=KEY, occurred_at=terreau.clock.now())
    )
    await terreau.at(FIRST_PURGE + timedelta(days=20))
    await terreau.stop()
    await terreau.start(extra=DEPARTURE)
    await terreau.deliver(
        BotRemoved(event_id=next_id(), community=KEY, occurred_at=terreau.clock.now())
    )
    await terreau.at(FIRST_PURGE + timedelta(days=30))
    assert await count(terreau, InteractionLogRow, "bob") == 0


async def test_a_community_that_adds_terreau_back_keeps_its_data(terreau: Terreau) -> None:
    await terreau.start(extra=DEPARTURE)
    await chat(terreau, ALICE)
    await terreau.deliver(
        BotRemoved(event_id=next_id(), community=KEY, occurred_at=terreau.clock.now())
    )
    await terreau.at(FIRST_PURGE + timedelta(days=3))
    await terreau.deliver(
        BotAdded(event_id=next_id(), community=KEY, occurred_at=terreau.clock.now())
    )
    await terreau.at(FIRST_PURGE + timedelta(days=40))
    assert await count(terreau, ActivityDailyRow, "alice") == 1


async def test_moderators_have_no_special_access_to_members_data(terreau: Terreau) -> None:
    await terreau.start()
    await chat(terreau, ALICE)
    await terreau.command(MOD, "me", "data")
    assert kept(terreau)["interactions"] == 1  # only their own command
