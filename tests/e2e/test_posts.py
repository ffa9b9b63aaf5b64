"""Regular posts end to end: schedule, restart, downtime, dead channel, commands."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.domain import ChannelMention
from tests.e2e.conftest import ALICE, AT_NINE, MOD, PROMPTS, Terreau

WEEK = timedelta(days=7)


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


async def test_the_ritual_pauses_itself_when_nobody_answers(terreau: Terreau) -> None:
    await terreau.start(dead_after=2)
    await terreau.at(AT_NINE)
    await terreau.at(AT_NINE + WEEK)
    assert len(terreau.platform.posts()) == 2
    await terreau.at(AT_NINE + 2 * WEEK)
    posts = terreau.platform.sent
    notice = posts[-1]
    assert notice.where is not None and notice.where.channel_id == "mods"
    assert "paused itself" in notice.post.plain_text()
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
    assert "back on its schedule" in terreau.platform.posts("respond")[-1].plain_text()
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
    assert thread[0].post.plain_text().startswith(PROMPTS.catalog("en").text_of_title("discussion"))
    assert "23 November" in thread[0].post.plain_text()


async def test_moderators_list_post_pause_and_resume(terreau: Terreau) -> None:
    await terreau.start()
    await terreau.command(MOD, "posts", "list")
    listing = terreau.platform.posts("respond")[-1].plain_text()
    assert "question" in listing
    assert "Monday 23 November at 09:00" in listing

    await terreau.command(MOD, "posts", "now", "question")
    assert len(terreau.platform.posts()) == 1
    assert "Posted" in terreau.platform.posts("respond")[-1].plain_text()

    await terreau.command(MOD, "posts", "pause", "question")
    await terreau.command(MOD, "posts", "pause", "question")
    replies = [p.plain_text() for p in terreau.platform.posts("respond")[-2:]]
    assert "is paused" in replies[0] and "already paused" in replies[1]
    await terreau.command(MOD, "posts", "list")
    assert "paused by a moderator" in terreau.platform.posts("respond")[-1].plain_text()
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
    assert "Only moderators" in reply.post.plain_text()


async def test_unknown_ritual_and_bad_commands_get_help(terreau: Terreau) -> None:
    await terreau.start()
    await terreau.command(MOD, "posts", "now", "nope")
    assert "no ritual called “nope”" in terreau.platform.posts("respond")[-1].plain_text()
    assert "question" in terreau.platform.posts("respond")[-1].plain_text()
    await terreau.command(MOD, "posts", "now")
    assert "needs a value for `ritual`" in terreau.platform.posts("respond")[-1].plain_text()
    await terreau.command(MOD, "posts", "explode")
    assert "/terreau help posts" in terreau.platform.posts("respond")[-1].plain_text()
    await terreau.command(MOD, "dance", "now")
    assert (
        "don't know the command group `dance`" in terreau.platform.posts("respond")[-1].plain_text()
    )


async def test_help_lists_the_declared_commands(terreau: Terreau) -> None:
    await terreau.start()
    await terreau.command(ALICE, "help", "")
    overview = terreau.platform.posts("respond")[-1].plain_text()
    assert "/terreau posts" in overview
    await terreau.command(ALICE, "help", "posts")
    detail = terreau.platform.posts("respond")[-1].plain_text()
    assert "/terreau posts now <ritual>" in detail
    assert "/terreau posts list" in detail


async def test_a_group_without_an_action_lists_its_commands(terreau: Terreau) -> None:
    await terreau.start(extra="\n[communities.games]\nenabled = true\n")
    await terreau.command(ALICE, "help", "game")
    listed = terreau.platform.posts("respond")[-1].plain_text()
    await terreau.command(ALICE, "game", "")
    assert terreau.platform.posts("respond")[-1].plain_text() == listed
    assert "/terreau game trivia [category] [questions]" in listed


async def test_replies_name_the_ritual_channel_as_a_channel_reference(terreau: Terreau) -> None:
    await terreau.start()
    await terreau.command(MOD, "posts", "now", "question")
    await terreau.command(MOD, "posts", "list")
    posted, listing = terreau.platform.posts("respond")[-2:]

    general = ChannelMention(channel_id="general", name="general")
    assert posted.channels == (general,) and listing.channels == (general,)
    assert PROMPTS.catalog("en").text(
        "messages.posts.posted", ritual="question", channel=general
    ) == (posted.plain_text())
    assert "#general" in posted.plain_text() and "##" not in posted.plain_text()
