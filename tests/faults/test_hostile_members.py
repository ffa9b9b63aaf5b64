"""Hostile member input: mass-mention syntax, 150 mentions, 100 kB, invisible and RTL characters."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, timedelta

import pytest

from adapters.console.render import Frame, render_post
from adapters.console.translate import Context, translate_line
from bot.domain import Community, Member, Mention, MessagePosted
from bot.storage import CommunityDirectory, Database, InteractionWriter, interaction_from_event
from tests.fakes import PATIENCE
from tests.faults.conftest import KEY, MOD, PROMPTS, FaultBot, config_text, message

pytestmark = pytest.mark.core

MASS_PINGS = "@everyone @here <!channel> <!here> <!everyone> <@&123456789012345678> <@123>"
STRANGE_NAME = "Al\u200bi\u200dce\u202e\u2067evil\u2069\ufeff"  # zero-width, RTL override, BOM


def console_context(bot: FaultBot, members: dict[str, Member]) -> Context:
    return Context(
        community=KEY,
        channels={"general": "general", "moderators": "mods"},
        channel_id="general",
        speaker="you",
        moderators=("you",),
        members=members,
        messages={},
        next_number=1,
        event_prefix="console-hostile",
        next_event=1,
        now=bot.clock.now(),
    )


async def test_member_text_is_stored_byte_exact_and_pings_nobody(
    fault_bot: FaultBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing altered, nobody pinged: with `store_content = true`, hostile texts (mass
    mentions, 150 member mentions, 100 kB, zero-width and right-to-left characters,
    CRLF) are stored exactly as sent, one row each; the console names as mentioned
    only members who are present, never @everyone or @here.
    """
    caplog.set_level(logging.ERROR)
    await fault_bot.start(config_text(store_content=True))
    members = {f"m{i}": Member(id=f"m{i}", display_name=f"m{i}") for i in range(150)}
    many = " ".join(f"@m{i}" for i in range(150))
    texts = [
        MASS_PINGS,
        many,
        "x" * 100_000,
        "🏳️‍🌈 é\u0301 \u200b\u200c\u200d \u202ereversed\u202c \u2066iso\u2069 \r\n\ttab",
        "{{ 7 * 7 }} {% raw %} \ue000 0 \ue001 \ue002",
    ]
    context = console_context(fault_bot, members)
    mentioned = []
    for index, text in enumerate(texts):
        line = replace(context, next_event=index + 1, next_number=index + 1)
        outcome = translate_line(f"m0> {text}", line)
        assert outcome.error is None
        [posted] = outcome.events
        assert isinstance(posted, MessagePosted)
        mentioned.append(posted.mentions)
        await fault_bot.deliver(posted)
    await fault_bot.flush()
    stored = fault_bot.rows("SELECT content FROM interactions ORDER BY id")
    assert [content for (content,) in stored] == texts
    assert mentioned[0] == ()
    assert len(mentioned[1]) == 150
    assert all(name in members for names in mentioned for name in names)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_reserved_console_names_are_refused_with_a_clear_error(fault_bot: FaultBot) -> None:
    """No crash, no mass ping: `everyone>`, `here>` and `channel>` cannot speak."""
    await fault_bot.start()
    context = console_context(fault_bot, {})
    for name in ("everyone", "here", "channel"):
        outcome = translate_line(f"{name}> hi all", context)
        assert outcome.events == ()
        assert outcome.error == f"{name!r} is reserved and cannot be a member name"


async def test_hostile_names_and_arguments_are_stored_exact_and_never_become_mentions(
    fault_bot: FaultBot,
) -> None:
    """Nothing altered, nobody pinged: display names made of mass-mention syntax or of
    invisible and right-to-left characters are stored byte-exact in `members`; member
    text that reaches a reply (an unknown ritual name, echoed back) shows as plain text,
    and the reply's `Post` carries no mention at all (adapters render only those); the
    console prints it without a crash and without any mention marker.
    """
    await fault_bot.start()
    names = [f"{MASS_PINGS} {{{{ 7*7 }}}}", STRANGE_NAME, "n" * 5000]
    for index, name in enumerate(names):
        member = Member(id=f"h{index}", display_name=name, is_admin=True)
        await fault_bot.deliver(message(member, fault_bot.clock.now(), text="hi"))
        await fault_bot.command(member, "posts", "now", name)
    await fault_bot.flush()
    assert fault_bot.rows("SELECT display_name FROM members ORDER BY member_id") == [
        (name,) for name in names
    ]
    replies = fault_bot.platform.posts("respond")
    assert len(replies) == 3
    assert fault_bot.platform.posts() == []
    now = fault_bot.clock.now()
    for name, reply in zip(names, replies, strict=True):
        assert name[:1000] in reply.text or len(reply.text) >= 3000
        assert reply.mentions == ()
        assert all(isinstance(part, str) for part in reply.segments())
        shown = render_post(
            reply, Frame(number=1, when=now, tz=UTC, author="Terreau", channel_id="general")
        )
        assert not set(shown) & {"\ue000", "\ue001", "\ue002", "\ue003"}
    assert MASS_PINGS in replies[0].text


def test_a_post_names_only_the_members_the_core_chose() -> None:
    """No mass ping: a template given 150 members renders at most those 150 as mentions,
    in order, each once; mention markers forged in member text are stripped, so a text
    variable can never add a mention; the text is capped.
    """
    renderer = PROMPTS.catalog("en")._renderer
    template = renderer.compile(
        renderer.parse("{{ who }} {{ said }} {% for m in many %}{{ m }} {% endfor %}")
    )
    chosen = [Mention(member_id=str(i), display_name=f"member{i}") for i in range(150)]
    forged = "\ue0000\ue001 \ue0021\ue003 @everyone"
    post = renderer.render("test.many", [template], {"who": "x", "said": forged, "many": chosen})
    assert set(post.mentions) <= set(chosen)
    assert post.mentions == tuple(chosen[: len(post.mentions)])
    assert len(post.text) <= renderer.max_length
    plain = [part for part in post.segments() if isinstance(part, str)]
    assert "@everyone" in "".join(plain)  # shown as text, never as a mention
    assert sum(1 for part in post.segments() if isinstance(part, Mention)) == len(post.mentions)


async def test_a_message_that_cannot_be_encoded_costs_only_its_content(
    fault_bot: FaultBot,
) -> None:
    """Nothing else lost: a message whose text holds a lone surrogate (valid JSON from a
    platform, but not UTF-8) is stored as an interaction like any other, and every other
    message of its batch is stored too.
    """
    await fault_bot.start(config_text(store_content=True))
    now = fault_bot.clock.now()
    good = [message(MOD, now + timedelta(seconds=i), text=f"ok {i}") for i in range(5)]
    bad = message(MOD, now, text="broken \ud800 text")
    for event in [*good[:2], bad, *good[2:]]:
        await fault_bot.deliver(event)
    await fault_bot.flush()
    rows = dict(fault_bot.rows("SELECT event_id, content FROM interactions ORDER BY id"))
    assert set(rows) == {e.event_id for e in [*good, bad]}
    assert rows[good[0].event_id] == "ok 0"
    assert rows[bad.event_id] == "broken \ufffd text"


async def test_a_row_no_driver_can_encode_is_refused_alone(fault_bot: FaultBot) -> None:
    """Nothing else lost, no stall: a log row that cannot be encoded at all (here its
    event id) is refused on its own, the rest of its batch is stored, and the writer
    goes on with the next batch instead of retrying for ever.
    """
    database = await Database.connect(fault_bot.url, clock=fault_bot.clock)
    community_id = await CommunityDirectory(database).ensure(
        Community(platform="console", id="demo", name="Demo")
    )
    writer = InteractionWriter(database, batch_size=10)
    await writer.start()
    try:
        now = fault_bot.clock.now()
        events = [message(MOD, now, text=str(i)) for i in range(6)]
        rows = [interaction_from_event(e, community_id, store_content=False) for e in events]
        rows[3] = rows[3]._replace(event_id="bad\udc80id")  # type: ignore[union-attr]
        for row in rows:
            assert row is not None
            await writer.submit(row)
        await asyncio.wait_for(writer.flush(), timeout=PATIENCE)
        later = message(MOD, now, text="after")
        row = interaction_from_event(later, community_id, store_content=False)
        assert row is not None
        await writer.submit(row)
        await asyncio.wait_for(writer.flush(), timeout=PATIENCE)
    finally:
        await writer.stop()
        await database.close()
    assert writer.stats.rejected == 1
    stored = {event_id for (event_id,) in fault_bot.rows("SELECT event_id FROM interactions")}
    assert stored == {e.event_id for e in [*events[:3], *events[4:], later]}
