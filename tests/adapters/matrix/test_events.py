"""Everything members do on Matrix is logged once, across restarts, from Synapse's own events."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.matrix import MatrixAdapter, MatrixCommunity
from bot.domain import (
    ChannelRef,
    CommandInvoked,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    Post,
    ReactionAdded,
    ReactionRemoved,
)
from bot.ports import GatewaySession, StartupFailed
from bot.storage import Database
from bot.storage.models import InteractionLogRow
from tests.adapters.matrix.conftest import (
    Community,
    Person,
    Terreau,
    WatchedClock,
    make_community,
)
from tests.adapters.matrix.synapse import Synapse

pytestmark = pytest.mark.matrix


async def logged(terreau: Terreau) -> Counter[str]:
    """How many log rows each event id has."""
    assert terreau.app is not None
    await terreau.app.writer.flush()
    async with terreau.app.database.read() as uow:
        rows = await uow.connection.execute(select(InteractionLogRow.__table__.c.event_id))
    return Counter(row[0] for row in rows)


async def test_messages_replies_threads_reactions_edits_and_redactions_are_translated(
    terreau: Terreau, community: Community
) -> None:
    await terreau.start()
    alice, bob = community["alice"], community["bob"]
    root = await alice.say(
        community.general, "hello @room", **{"m.mentions": {"user_ids": [bob.user_id]}}
    )
    reply = await bob.say(
        community.general,
        "> <@alice> hello\n\nhi back",
        **{"m.relates_to": {"m.in_reply_to": {"event_id": root}}},
    )
    threaded = await bob.say(
        community.general,
        "in the thread",
        **{
            "m.relates_to": {
                "rel_type": "m.thread",
                "event_id": root,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": root},
            }
        },
    )
    reaction = await bob.react(community.general, root, "👍")
    edited = await alice.say(
        community.general,
        "* hello again",
        **{
            "m.new_content": {"msgtype": "m.text", "body": "hello again"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": root},
        },
    )
    unreacted = await bob.do(bob.client.room_redact(community.general, reaction))
    deleted = await bob.do(bob.client.room_redact(community.general, reply))
    events = {
        event.event_id: event
        for event in await terreau.seen(
            root, reply, threaded, reaction, edited, unreacted.event_id, deleted.event_id
        )
    }
    first = events[root]
    assert isinstance(first, MessagePosted)
    assert first.member.id == alice.user_id
    assert first.member.display_name == "Alice"
    assert first.mentions == (bob.user_id,)
    answered = events[reply]
    assert isinstance(answered, MessagePosted)
    assert (answered.reply_to, answered.thread_id, answered.text) == (root, None, "hi back")
    in_thread = events[threaded]
    assert isinstance(in_thread, MessagePosted)
    assert (in_thread.thread_id, in_thread.reply_to) == (root, None)
    assert events[reaction] == ReactionAdded(
        event_id=reaction,
        community=terreau.key,
        occurred_at=events[reaction].occurred_at,
        member=events[reaction].member,  # type: ignore[attr-defined]
        channel_id=community.general,
        message_id=root,
        emoji="👍",
    )
    change = events[edited]
    assert isinstance(change, MessageEdited)
    assert change.message_id == root
    taken_back = events[unreacted.event_id]
    assert isinstance(taken_back, ReactionRemoved)
    assert (taken_back.message_id, taken_back.emoji) == (root, "👍")
    gone = events[deleted.event_id]
    assert isinstance(gone, MessageDeleted)
    assert (gone.message_id, gone.member_id) == (reply, bob.user_id)
    counts = await logged(terreau)
    assert all(counts[event_id] == 1 for event_id in events)


async def test_joins_and_leaves_of_the_space_are_the_communitys(
    terreau: Terreau, community: Community
) -> None:
    await terreau.start()
    newcomer_account = community.server.register(
        "newcomer" + community.bot.user_id[8:].split(":")[0]
    )
    newcomer = Person(community.server, newcomer_account)
    owner = Person(community.server, community.bot)
    try:
        await owner.do(owner.client.room_invite(community.space, newcomer.user_id))
        await owner.do(owner.client.room_invite(community.general, newcomer.user_id))
        await newcomer.join(community.space)
        await newcomer.join(community.general)  # a room of the space: not a second arrival
        left = await newcomer.do(newcomer.client.room_leave(community.space))
        said = await newcomer.say(community.general, "still here in general")
        await terreau.seen(said)
    finally:
        await newcomer.close()
        await owner.close()
    memberships = [
        event for event in terreau.received if isinstance(event, MemberJoined | MemberLeft)
    ]
    assert [type(event).__name__ for event in memberships] == ["MemberJoined", "MemberLeft"]
    assert isinstance(memberships[0], MemberJoined)
    assert memberships[0].member.id == newcomer.user_id
    assert left is not None


async def test_events_sent_while_terreau_was_down_are_delivered_once_after_a_restart(
    terreau: Terreau, community: Community
) -> None:
    terreau.timeline_limit = 2  # fewer than what happens while down: the gap is read back
    await terreau.start()
    alice, bob = community["alice"], community["bob"]
    before = await alice.say(community.general, "before the restart")
    await terreau.seen(before)
    await terreau.stop()

    meanwhile = [await bob.say(community.general, f"while down {n}") for n in range(5)]
    meanwhile.append(await alice.react(community.general, meanwhile[0], "🎉"))
    meanwhile.append(await alice.say(community.general, "!terreau help"))

    await terreau.start()
    await terreau.seen(*meanwhile)
    delivered = Counter(event.event_id for event in terreau.received)
    assert all(delivered[event_id] == 1 for event_id in [before, *meanwhile])
    assert [e.event_id for e in terreau.received if isinstance(e, MessagePosted)][-5:] == meanwhile[
        :5
    ]
    counts = await logged(terreau)
    assert all(counts[event_id] == 1 for event_id in [before, *meanwhile])
    assert len(await community.inbox("alice")) == 1


async def test_a_batch_handled_but_not_saved_comes_again_and_is_not_handled_twice(
    terreau: Terreau, community: Community
) -> None:
    """A crash between handling a batch and saving its token: the batch is replayed."""
    await terreau.start()
    assert terreau.app is not None
    async with terreau.app.database.read() as uow:
        (saved,) = await uow.gateway_sessions.all("matrix")
    alice = community["alice"]
    command = await alice.say(community.general, "!terreau help")
    message = await alice.say(community.general, "after the command")
    await terreau.seen(command, message)
    await terreau.stop()
    # The process "died" before saving: the token on record is the one before the batch.
    database = await Database.connect(terreau.url, clock=terreau.clock)
    try:
        async with database.transaction() as uow:
            await uow.gateway_sessions.save("matrix", [saved])
    finally:
        await database.close()

    await terreau.start()
    later = await alice.say(community.general, "after the restart")
    await terreau.seen(later)
    delivered = Counter(event.event_id for event in terreau.received)
    assert delivered[command] == 2 and delivered[message] == 2  # delivered again...
    counts = await logged(terreau)
    assert (counts[command], counts[message], counts[later]) == (1, 1, 1)  # ...logged once
    assert len(await community.inbox("alice")) == 1  # ...and answered once
    commands = [e for e in terreau.received if isinstance(e, CommandInvoked)]
    assert {c.event_id for c in commands} == {command}


async def test_the_sync_token_is_kept_like_a_gateway_session(
    terreau: Terreau, community: Community
) -> None:
    await terreau.start()
    said = await community["alice"].say(community.general, "hi")
    await terreau.seen(said)
    assert terreau.app is not None
    async with terreau.app.database.read() as uow:
        (session,) = await uow.gateway_sessions.all("matrix")
    assert isinstance(session, GatewaySession)
    assert session.resume_url == community.server.url
    assert session.session_id


async def test_an_encrypted_room_is_refused_at_start_naming_it(
    synapse: Synapse, tmp_path: Path
) -> None:
    community = await make_community(synapse, ("alice",))
    owner = Person(community.server, community.bot)
    try:
        await owner.do(
            owner.client.room_put_state(
                community.moderators, "m.room.encryption", {"algorithm": "m.megolm.v1.aes-sha2"}
            )
        )
        harness = Terreau(community, tmp_path, WatchedClock(datetime.now(UTC)))
        with pytest.raises(StartupFailed, match=re.escape(community.moderators)):
            await harness.start()
        await harness.stop()
    finally:
        await owner.close()
        for person in community.people.values():
            await person.close()


async def test_a_send_whose_answer_was_lost_is_found_and_never_posted_twice(
    terreau: Terreau, community: Community
) -> None:
    """The process died between the homeserver's answer and the outbox's commit."""
    await terreau.start()
    adapter = terreau.adapter
    assert adapter is not None
    where = ChannelRef(community=terreau.key, channel_id=community.general)
    since = datetime.now(UTC) - timedelta(minutes=1)
    sent = await adapter.send(where, Post(text="once"), nonce="outbox-7")
    await terreau.stop()

    await terreau.start()  # a new process: nothing in memory
    restarted = terreau.adapter
    assert restarted is not None and restarted is not adapter
    found = await restarted.find_sent(where, Post(text="once"), nonce="outbox-7", since=since)
    assert [message.message_id for message in found] == [sent.message_id]
    assert await restarted.find_sent(where, Post(text="never"), nonce="outbox-8", since=since) == []
    # Sending it again anyway is the same transaction: the homeserver returns the same event.
    again = await restarted.send(where, Post(text="once"), nonce="outbox-7")
    assert again.message_id == sent.message_id
    assert [message["content"]["body"] for message in await community.said()] == ["once"]


async def test_a_token_of_another_account_is_refused_at_start(
    community: Community, clock: WatchedClock
) -> None:
    async def nowhere(event: object) -> None:
        raise AssertionError("nothing is delivered")

    adapter = MatrixAdapter(
        homeserver=community.server.url,
        user_id=community.bot.user_id,
        access_token=community["alice"].account.access_token,
        communities=[
            MatrixCommunity(key="matrix:x", rooms=(community.general,), space_id=community.space)
        ],
        clock=clock,
    )
    with pytest.raises(StartupFailed, match=re.escape(community["alice"].user_id)):
        await adapter.start(nowhere)
    await adapter.stop()
