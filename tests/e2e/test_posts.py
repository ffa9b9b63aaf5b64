"""Regular posts end to end: schedule, restart, downtime, dead channel, commands."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.domain import ChannelMention
from bot.storage.models import OutboxRow
from tests.e2e.conftest import ALICE, AT_NINE, KEY, MOD, PROMPTS, Terreau

pytestmark = pytest.mark.posts

WEEK = timedelta(days=7)
GENERAL = ChannelMention(channel_id="general", name="general")


def answered(terreau: Terreau, *names: str) -> tuple[str, dict[str, object]]:
    """The prompt of the last answer to a command, and the variables `names` it showed."""
    return terreau.prompts.said(terreau.platform.posts("respond")[-1], *names)


def discussion_texts() -> set[str]:
    pool = PROMPTS.catalog("en").pool("discussion")
    return {item.text.strip() for item in pool.items}


def item_of(text: str) -> str:
    """Return the pool item a ritual post carries (its text after the title)."""
    return text.split("\n\n", 1)[1].strip()


async def test_a_ritual_posts_at_its_time_in_the_community_timezone(terreau: Terreau) -> None:
    await terreau.start()
    assert terreau.platform.posts() == []
    await terreau.at(AT_NINE - timedelta(seconds=1))
    assert terreau.platform.posts() == []
    await terreau.at(AT_NINE)
    [post] = terreau.platform.posts()
    assert post.plain_text().startswith(PROMPTS.catalog("en").text_of_title("discussion"))
    assert item_of(post.plain_text()) in discussion_texts()
    assert terreau.platform.sent[0].where is not None
    assert terreau.platform.sent[0].where.channel_id == "general"


async def test_a_restart_does_not_post_twice(terreau: Terreau) -> None:
    await terreau.start()
    await terreau.at(AT_NINE)
    assert len(terreau.platform.posts()) == 1
    await terreau.stop()
    await terreau.clock.set(AT_NINE + timedelta(minutes=5))
    await terreau.start()
    assert terreau.platform.posts() == []


async def test_downtime_within_grace_catches_up_once(terreau: Terreau) -> None:
    await terreau.start()
    await terreau.stop()
    await terreau.clock.set(AT_NINE + timedelta(minutes=90))
    await terreau.start()
    assert len(terreau.platform.posts()) == 1
    await terreau.stop()
    await terreau.clock.set(AT_NINE + timedelta(minutes=100))
    await terreau.start()
    assert terreau.platform.posts() == []


async def test_downtime_past_grace_skips_the_run(terreau: Terreau, caplog) -> None:
    caplog.set_level(logging.INFO, logger="bot.scheduling")
    await terreau.start()
    await terreau.at(AT_NINE)
    await terreau.stop()
    await terreau.clock.set(AT_NINE + WEEK + timedelta(hours=3))
    await terreau.start()
    assert terreau.platform.posts() == []
    assert "1 runs missed while stopped, skipped" in caplog.text
    await terreau.at(AT_NINE + 2 * WEEK)
    assert len(terreau.platform.posts()) == 1


async def test_content_rotates_without_repeats_across_restarts(terreau: Terreau) -> None:
    seen = []
    await terreau.start(dead_after=0)
    for week in range(6):
        if week == 3:
            await terreau.stop()
            await terreau.start(dead_after=0)
        await terreau.at(AT_NINE + week * WEEK)
        [post] = terreau.platform.posts()[-1:]
        seen.append(item_of(post.plain_text()))
    assert len(set(seen)) == 6
    # The outbox records which prompt each post used, for the report's "which posts work".
    assert terreau.app is not None
    outbox = OutboxRow.__table__.c
    stmt = select(outbox.pool, outbox.item_id).order_by(outbox.sent_at)
    async with terreau.app.database.read() as uow:
        recorded = (await uow.connection.execute(stmt)).all()
    catalog = terreau.app.catalog(KEY)
    assert [
        item_of(catalog.render_item(pool, item).plain_text()) for pool, item in recorded
    ] == seen


@pytest.mark.parametrize("rest", [True, False])
async def test_the_rotation_rests_prompts_never_answered_when_asked(
    terreau: Terreau, rest: bool
) -> None:
    app = await terreau.start(dead_after=0, rest=rest)
    community_id = app.community_id(KEY)
    job = f"posts:{KEY}:question"
    items = [item.id for item in app.catalog(KEY).pool("discussion").items]
    async with app.database.read() as uow:
        first = await uow.rotation.peek(community_id, "discussion", items, seed=job)
    # The rotation's next prompt was posted three times in September; nobody answered.
    for week in range(3):
        async with app.database.transaction() as uow:
            outbox_id = await uow.outbox.add(
                community_id=community_id,
                nonce=f"september-{week}",
                channel_id="general",
                thread_id=None,
                payload={"community": KEY, "post": {"text": "?"}},
                job_id=job,
                content=("discussion", first),
            )
            sent = datetime(2026, 9, 7, 8, tzinfo=UTC) + week * WEEK
            await uow.outbox.mark_sent(outbox_id, f"september-{week}", None, at=sent)

    await terreau.at(AT_NINE)

    outbox = OutboxRow.__table__.c
    latest = select(outbox.item_id).order_by(outbox.id.desc()).limit(1)
    async with app.database.read() as uow:
        posted = (await uow.connection.execute(latest)).scalar_one()
    assert (posted == first) is not rest


async def test_the_ritual_pauses_itself_when_nobody_answers(terreau: Terreau) -> None:
    await terreau.start(dead_after=2)
    await terreau.at(AT_NINE)
    await terreau.at(AT_NINE + WEEK)
    assert len(terreau.platform.posts()) == 2
    await terreau.at(AT_NINE + 2 * WEEK)
    posts = terreau.platform.sent
    notice = posts[-1]
    assert notice.where is not None and notice.where.channel_id == "mods"
    assert terreau.prompts.said(notice.post, "ritual", "channel", "count") == (
        "messages.posts.dead_channel",
        {"ritual": "question", "channel": GENERAL, "count": 2},
    )
    assert len(terreau.platform.posts()) == 3  # two rituals and the notice, no third ritual
    await terreau.at(AT_NINE + 3 * WEEK)
    assert len(terreau.platform.posts()) == 3


async def test_a_reply_keeps_the_ritual_alive(terreau: Terreau) -> None:
    await terreau.start(dead_after=2)
    await terreau.at(AT_NINE)
    first = terreau.platform.sent[-1].message
    assert first is not None
    await terreau.clock.set(AT_NINE + timedelta(hours=1))
    await terreau.say(ALICE, reply_to=first.message_id)
    await terreau.at(AT_NINE + WEEK)
    await terreau.at(AT_NINE + 2 * WEEK)
    assert len(terreau.platform.posts()) == 3
    assert all(
        s.where is not None and s.where.channel_id == "general"
        for s in terreau.platform.sent
        if s.kind == "send"
    )


async def test_resume_after_a_dead_channel_pause(terreau: Terreau) -> None:
    await terreau.start(dead_after=1)
    await terreau.at(AT_NINE)
    await terreau.at(AT_NINE + WEEK)  # no reply to the first: paused, moderators told
    await terreau.command(MOD, "posts", "resume", "question")
    assert answered(terreau, "ritual") == ("messages.posts.resumed", {"ritual": "question"})
    await terreau.at(AT_NINE + 2 * WEEK)
    rituals = [
        s for s in terreau.platform.sent if s.kind == "send" and s.where.channel_id == "general"
    ]
    assert len(rituals) == 2


async def test_a_thread_is_opened_for_answers(terreau: Terreau) -> None:
    await terreau.start(thread=True)
    await terreau.at(AT_NINE)
    thread = [s for s in terreau.platform.sent if s.kind == "thread"]
    assert len(thread) == 1
    assert terreau.prompts.said(thread[0].post, "title", "date") == (
        "messages.posts.thread_title",
        {"title": PROMPTS.catalog("en").text_of_title("discussion"), "date": date(2026, 11, 23)},
    )


async def test_moderators_list_post_pause_and_resume(terreau: Terreau) -> None:
    await terreau.start()
    await terreau.command(MOD, "posts", "list")
    key, listing = answered(terreau, "rituals")
    assert key == "messages.posts.list.body"
    [ritual] = listing["rituals"]  # type: ignore[misc]
    assert (ritual["name"], ritual["paused"], ritual["next"]) == ("question", False, AT_NINE)

    await terreau.command(MOD, "posts", "now", "question")
    assert len(terreau.platform.posts()) == 1
    assert answered(terreau)[0] == "messages.posts.posted"

    await terreau.command(MOD, "posts", "pause", "question")
    await terreau.command(MOD, "posts", "pause", "question")
    replies = [terreau.said(p) for p in terreau.platform.posts("respond")[-2:]]
    assert replies == ["messages.posts.paused", "messages.posts.already_paused"]
    await terreau.command(MOD, "posts", "list")
    [ritual] = answered(terreau, "rituals")[1]["rituals"]  # type: ignore[misc]
    assert (ritual["paused"], ritual["reason"]) == (True, "moderator")
    await terreau.at(AT_NINE)
    assert len(terreau.platform.posts()) == 1  # paused: the scheduled run is skipped

    await terreau.command(MOD, "posts", "resume", "question")
    await terreau.at(AT_NINE + WEEK)
    assert len(terreau.platform.posts()) == 2


async def test_members_cannot_steer_rituals(terreau: Terreau) -> None:
    await terreau.start()
    await terreau.command(ALICE, "posts", "now", "question")
    assert terreau.platform.posts() == []
    [reply] = terreau.platform.sent
    assert reply.private and reply.member_id == "alice"
    assert terreau.said(reply.post) == "messages.commands.moderators_only"


async def test_unknown_ritual_and_bad_commands_get_help(terreau: Terreau) -> None:
    await terreau.start()
    await terreau.command(MOD, "posts", "now", "nope")
    assert answered(terreau, "ritual", "known") == (
        "messages.posts.unknown_ritual",
        {"ritual": "nope", "known": "question"},
    )
    await terreau.command(MOD, "posts", "now")
    assert answered(terreau, "option") == ("messages.commands.missing_option", {"option": "ritual"})
    await terreau.command(MOD, "posts", "explode")
    assert answered(terreau, "group", "action") == (
        "messages.commands.unknown_action",
        {"group": "posts", "action": "explode"},
    )
    await terreau.command(MOD, "dance", "now")
    assert answered(terreau, "group") == ("messages.commands.unknown_group", {"group": "dance"})


async def test_help_lists_the_declared_commands(terreau: Terreau) -> None:
    await terreau.start()
    await terreau.command(ALICE, "help", "")
    key, overview = answered(terreau, "groups")
    assert key == "messages.help.body"
    assert "posts" in [group["name"] for group in overview["groups"]]  # type: ignore[attr-defined]
    await terreau.command(ALICE, "help", "posts")
    key, detail = answered(terreau, "group", "commands")
    assert (key, detail["group"]) == ("messages.help.body", "posts")
    usages = [command["usage"] for command in detail["commands"]]  # type: ignore[attr-defined]
    assert {"/terreau posts now <ritual>", "/terreau posts list"} <= set(usages)


async def test_a_group_without_an_action_lists_its_commands(terreau: Terreau) -> None:
    await terreau.start(extra="\n[communities.games]\nenabled = true\n")
    await terreau.command(ALICE, "help", "game")
    listed = terreau.platform.posts("respond")[-1].plain_text()
    await terreau.command(ALICE, "game", "")
    assert terreau.platform.posts("respond")[-1].plain_text() == listed
    key, detail = answered(terreau, "group", "commands")
    assert (key, detail["group"]) == ("messages.help.body", "game")
    usages = [command["usage"] for command in detail["commands"]]  # type: ignore[attr-defined]
    assert "/terreau game trivia [category] [questions]" in usages


async def test_replies_name_the_ritual_channel_as_a_channel_reference(terreau: Terreau) -> None:
    await terreau.start()
    await terreau.command(MOD, "posts", "now", "question")
    await terreau.command(MOD, "posts", "list")
    posted, listing = terreau.platform.posts("respond")[-2:]

    assert posted.channels == (GENERAL,) and listing.channels == (GENERAL,)
    assert PROMPTS.catalog("en").text(
        "messages.posts.posted", ritual="question", channel=GENERAL
    ) == (posted.plain_text())
    assert "#general" in posted.plain_text() and "##" not in posted.plain_text()
