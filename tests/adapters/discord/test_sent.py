"""Finding a post Discord holds: Discord keeps no nonce, so the bot's message is found by
its content and choices, in the window since the first attempt, through discord.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain import ChannelRef, Choice, Post
from tests.adapters.discord.conftest import GENERAL, KEY, START, Running
from tests.adapters.discord.fake_discord import BOT_USER, NONCE_WINDOW, FakeDiscord

pytestmark = [pytest.mark.discord, pytest.mark.delivery]

WHERE = ChannelRef(community=KEY, channel_id=GENERAL)
BEFORE = START - timedelta(minutes=1)
POLL = Post(
    text="Tea or coffee?",
    choices=(Choice(id="poll:42:tea", label="Tea"), Choice(id="poll:42:coffee", label="Coffee")),
)


async def started(running: Running, server: FakeDiscord) -> Running:
    server.clock = running.clock.now
    await running.start()
    assert running.adapter is not None
    return running


async def test_a_sent_post_is_found_hours_later_by_content_and_choices(
    running: Running, server: FakeDiscord
) -> None:
    adapter = (await started(running, server)).adapter
    assert adapter is not None
    sent = await adapter.send(WHERE, POLL, nonce="games:poll:42")
    await running.clock.advance(timedelta(hours=3))

    found = await adapter.find_sent(WHERE, POLL, nonce="games:poll:42", since=BEFORE)
    assert found == [sent]
    # Listing messages shows no nonce: Discord does not keep it.
    [listed] = server.requests_to("GET", f"/channels/{GENERAL}/messages")
    assert "after" in listed.query
    assert all("nonce" not in message for message in server.messages[GENERAL])

    other_choices = Post(text=POLL.text, choices=(Choice(id="poll:43:tea", label="Tea"),))
    assert await adapter.find_sent(WHERE, other_choices, nonce="x", since=BEFORE) == []
    assert await adapter.find_sent(WHERE, Post(text="Tea?"), nonce="x", since=BEFORE) == []
    # Only messages created in the window are read.
    later = START + timedelta(minutes=1)
    assert await adapter.find_sent(WHERE, POLL, nonce="games:poll:42", since=later) == []
    assert (
        await adapter.find_sent(
            WHERE, POLL, nonce="games:poll:42", since=BEFORE - timedelta(minutes=1), until=BEFORE
        )
        == []
    )
    assert await adapter.find_sent(
        WHERE, POLL, nonce="games:poll:42", since=BEFORE, until=later
    ) == [sent]


async def test_a_member_copying_the_post_is_not_taken_for_it(
    running: Running, server: FakeDiscord
) -> None:
    adapter = (await started(running, server)).adapter
    assert adapter is not None
    post = Post(text="Weekly question: what are you reading?")
    copy = dict(
        id=str(((int(START.timestamp() * 1000) - 1420070400000) << 22) + 5),
        channel_id=GENERAL,
        author=dict(BOT_USER, id="1170000000000000011", username="alice", bot=False),
        content=post.text,
        timestamp=START.isoformat(),
        edited_timestamp=None,
        tts=False,
        mention_everyone=False,
        mentions=[],
        mention_roles=[],
        attachments=[],
        embeds=[],
        pinned=False,
        type=0,
        flags=0,
        components=[],
    )
    server.messages.setdefault(GENERAL, []).append(copy)
    assert await adapter.find_sent(WHERE, post, nonce="n", since=BEFORE) == []
    sent = await adapter.send(WHERE, post, nonce="n")
    assert await adapter.find_sent(WHERE, post, nonce="n", since=BEFORE) == [sent]


async def test_discord_drops_a_repeated_nonce_only_for_a_few_minutes(
    running: Running, server: FakeDiscord
) -> None:
    adapter = (await started(running, server)).adapter
    assert adapter is not None
    first = await adapter.send(WHERE, Post(text="hello"), nonce="outbox-7")
    assert await adapter.send(WHERE, Post(text="hello"), nonce="outbox-7") == first
    await running.clock.advance(NONCE_WINDOW)
    again = await adapter.send(WHERE, Post(text="hello"), nonce="outbox-7")
    assert again != first
    assert len(server.messages[GENERAL]) == 2
