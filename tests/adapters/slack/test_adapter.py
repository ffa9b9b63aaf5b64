"""The ChatPlatform port on Slack: sends, pacing, rate limits, updates, DMs, members."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.slack import SlackAdapter, Workspace
from bot.domain import (
    BotAdded,
    BotRemoved,
    ChannelRef,
    Choice,
    ChoiceMade,
    CommandInvoked,
    Event,
    Member,
    Mention,
    Post,
    ReactionAdded,
    SentMessage,
    mention_marker,
)
from bot.ports import NotFound, PlatformError, RateLimited, Unavailable
from tests.adapters.slack.conftest import SECRET, START, serving_two
from tests.adapters.slack.fake_slack import APP_TOKEN, BOT_TOKEN, TEAM, FakeSlack
from tests.fakes import ManualClock, until

pytestmark = pytest.mark.slack

KEY = f"slack:{TEAM}"
GENERAL = ChannelRef(community=KEY, channel_id="C0GENERAL")


@pytest.fixture
async def adapter(fake_slack: FakeSlack, clock: ManualClock) -> AsyncIterator[SlackAdapter]:
    slack = SlackAdapter(
        workspaces=[Workspace(team_id=TEAM, token=BOT_TOKEN, moderator_groups=("S0MODS",))],
        clock=clock,
        mode="http",
        api_base=fake_slack.api_base,
        signing_secret=SECRET,
        http_port=0,
    )
    events: list[Event] = []

    async def sink(event: Event) -> None:
        events.append(event)

    await slack.start(sink)
    yield slack
    await slack.stop()


async def test_start_checks_each_token_with_auth_test(
    adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    [call] = fake_slack.called("auth.test")
    assert call.token == BOT_TOKEN


async def test_a_token_of_another_workspace_is_refused(
    fake_slack: FakeSlack, clock: ManualClock
) -> None:
    slack = SlackAdapter(
        workspaces=[Workspace(team_id="T0OTHER", token=BOT_TOKEN)],
        clock=clock,
        mode="socket",
        api_base=fake_slack.api_base,
        app_token=APP_TOKEN,
    )

    async def sink(event: Event) -> None:
        raise AssertionError(event)

    with pytest.raises(PlatformError, match="belongs to workspace T0TERREAU"):
        await slack.start(sink)
    assert fake_slack.called("apps.connections.open") == []


async def test_send_renders_blocks_and_returns_the_ts(
    adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    post = Post(
        text=f"Hi {mention_marker(0)} <!channel>",
        mentions=(Mention(member_id="U0ALICE", display_name="Alice"),),
        choices=(Choice(id="poll:1:yes", label="Yes"),),
    )
    sent = await adapter.send(GENERAL, post, nonce="n1")
    [call] = fake_slack.called("chat.postMessage")
    assert call.token == BOT_TOKEN
    assert call.params["text"] == "Hi <@U0ALICE> &lt;!channel&gt;"
    assert call.params["blocks"][1]["elements"][0]["value"] == "poll:1:yes"
    # Slack's ts is the posting time (the fake's clock is the test's).
    assert sent == SentMessage(
        community=KEY, channel_id="C0GENERAL", message_id=f"{int(START.timestamp())}.000100"
    )


async def test_a_repeated_nonce_does_not_post_twice(
    adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    first = await adapter.send(GENERAL, Post(text="once"), nonce="n1")
    again = await adapter.send(GENERAL, Post(text="once"), nonce="n1")
    assert first == again
    assert len(fake_slack.called("chat.postMessage")) == 1


async def test_posts_in_one_channel_are_paced_on_the_clock(
    adapter: SlackAdapter, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    await adapter.send(GENERAL, Post(text="one"), nonce="n1")
    second = asyncio.create_task(adapter.send(GENERAL, Post(text="two"), nonce="n2"))
    other = ChannelRef(community=KEY, channel_id="C0RANDOM")
    await adapter.send(other, Post(text="elsewhere"), nonce="n3")
    await until(lambda: clock.sleeping == 1)  # the paced send waits on the clock, not in time
    assert clock.next_wake(timedelta(seconds=1)) == clock.now() + timedelta(seconds=1)
    assert not second.done()
    assert [c.params["text"] for c in fake_slack.called("chat.postMessage")] == ["one", "elsewhere"]
    await clock.advance(timedelta(seconds=1))
    await second
    assert len(fake_slack.called("chat.postMessage")) == 3


async def test_a_rate_limit_is_waited_out_on_the_clock_without_a_duplicate(
    adapter: SlackAdapter, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    fake_slack.rate_limits["chat.postMessage"] = [30]
    sending = asyncio.create_task(adapter.send(GENERAL, Post(text="hello"), nonce="n1"))
    await until(lambda: len(fake_slack.called("chat.postMessage")) == 1 and clock.sleeping == 1)
    assert clock.next_wake(timedelta(seconds=30)) == clock.now() + timedelta(seconds=30)
    assert not sending.done()
    await clock.advance(timedelta(seconds=30))
    sent = await sending
    assert len(fake_slack.called("chat.postMessage")) == 2  # the 429, then the one post
    assert sent.message_id


async def test_exhausted_rate_limit_retries_raise_rate_limited(
    adapter: SlackAdapter, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    fake_slack.rate_limits["chat.update"] = [5, 5, 7]
    message = SentMessage(community=KEY, channel_id="C0GENERAL", message_id="1.2")
    updating = asyncio.create_task(adapter.update(message, Post(text="closed")))
    for count in (1, 2):
        # The 429 is answered and its Retry-After is being waited out on the clock.
        await until(
            lambda count=count: (
                len(fake_slack.called("chat.update")) == count and clock.sleeping == 1
            )
        )
        assert clock.next_wake(timedelta(seconds=5)) == clock.now() + timedelta(seconds=5)
        await clock.advance(timedelta(seconds=5))
    with pytest.raises(RateLimited) as raised:
        await updating
    assert raised.value.retry_after == 7
    assert len(fake_slack.called("chat.update")) == 3


async def test_update_replaces_the_message_in_place(
    adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    message = SentMessage(community=KEY, channel_id="C0GENERAL", message_id="1763800000.000100")
    await adapter.update(message, Post(text="Poll closed: Yes wins"))
    [call] = fake_slack.called("chat.update")
    assert (call.params["channel"], call.params["ts"]) == ("C0GENERAL", "1763800000.000100")
    assert call.params["text"] == "Poll closed: Yes wins"
    assert fake_slack.called("chat.postMessage") == []


async def test_a_thread_is_the_message_ts(
    adapter: SlackAdapter, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    sent = await adapter.send(GENERAL, Post(text="Question of the week"), nonce="n1")
    thread = await adapter.open_thread(sent, "Answers")
    assert thread.thread_id == sent.message_id
    await clock.advance(timedelta(seconds=1))
    await adapter.send(
        ChannelRef(community=KEY, channel_id="C0GENERAL", thread_id=thread.thread_id),
        Post(text="first answer"),
        nonce="n2",
    )
    assert fake_slack.called("chat.postMessage")[1].params["thread_ts"] == sent.message_id


async def test_unknown_channel_is_not_found(adapter: SlackAdapter) -> None:
    with pytest.raises(NotFound):
        await adapter.send(
            ChannelRef(community=KEY, channel_id="C0GONE"), Post(text="x"), nonce="n"
        )
    with pytest.raises(NotFound):
        await adapter.send(
            ChannelRef(community="slack:T0NOPE", channel_id="C1"), Post(text="x"), nonce="m"
        )


async def test_direct_messages_open_a_conversation(
    adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    sent = await adapter.send_direct(KEY, "U0ALICE", Post(text="Your weekly digest"))
    [opened] = fake_slack.called("conversations.open")
    assert opened.params["users"] == "U0ALICE"
    assert sent.channel_id == "D00ALICE"
    with pytest.raises(NotFound):
        await adapter.send_direct(KEY, "U0NOBODY", Post(text="x"))


async def test_public_and_private_answers(adapter: SlackAdapter, fake_slack: FakeSlack) -> None:
    command = CommandInvoked(
        event_id="cmd-1",
        community=KEY,
        occurred_at=START,
        member=Member(id="U0ALICE", display_name="alice"),
        channel_id="C0GENERAL",
        group="help",
        action="",
        interaction_id="t1",
    )
    await adapter.respond(command, Post(text="just you"))
    await adapter.respond(command, Post(text="everyone"), private=False)
    [ephemeral] = fake_slack.called("chat.postEphemeral")
    assert (ephemeral.params["user"], ephemeral.params["text"]) == ("U0ALICE", "just you")
    [public] = fake_slack.called("chat.postMessage")
    assert public.params["text"] == "everyone"


async def test_fetch_member_reports_admins_and_moderator_groups(adapter: SlackAdapter) -> None:
    mo = await adapter.fetch_member(KEY, "U0MO")
    gina = await adapter.fetch_member(KEY, "U0GINA")
    alice = await adapter.fetch_member(KEY, "U0ALICE")
    assert mo is not None and mo.is_admin and mo.display_name == "Mo"
    assert gina is not None and gina.roles == frozenset({"S0MODS"}) and not gina.is_admin
    assert alice is not None and not alice.is_admin and not alice.roles
    assert await adapter.fetch_member(KEY, "U0NOBODY") is None


async def test_member_lookups_are_cached_for_a_while(
    adapter: SlackAdapter, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    await adapter.fetch_member(KEY, "U0MO")
    await adapter.fetch_member(KEY, "U0MO")
    assert len(fake_slack.called("users.info")) == 1
    await clock.advance(timedelta(minutes=2))
    await adapter.fetch_member(KEY, "U0MO")
    assert len(fake_slack.called("users.info")) == 2


async def test_list_members_pages_through_users_list(
    adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    for number in range(250):
        fake_slack.add_user(f"U1{number:04d}", f"Member {number}")
    fake_slack.add_user("U0BOTTY", "Botty", is_bot=True)
    fake_slack.add_user("U0GONE", "Gone", deleted=True)
    first = await adapter.list_members(KEY, limit=3)
    assert [m.id for m in first] == ["U0ALICE", "U0GINA", "U0MO"]
    rest = await adapter.list_members(KEY, after="U0OWEN", limit=1000)
    assert len(rest) == 250
    assert len(fake_slack.called("users.list")) == 4  # two pages per call


async def test_a_click_answer_goes_to_the_response_url_when_known(
    adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    click = ChoiceMade(
        event_id="act-1",
        community=KEY,
        occurred_at=START,
        member=Member(id="U0BOB", display_name="bob"),
        channel_id="C0GENERAL",
        message_id="1.2",
        choice_id="poll:1:yes",
        interaction_id="unknown-trigger",
    )
    await adapter.respond(click, Post(text="Vote counted"))
    assert fake_slack.responses == []
    [call] = fake_slack.called("chat.postEphemeral")
    assert call.params["user"] == "U0BOB"


async def test_one_adapter_serves_several_workspaces_each_with_its_token(
    fake_slack: FakeSlack, clock: ManualClock
) -> None:
    slack = serving_two(fake_slack, clock, team_id="T0SECOND", number=2)
    events: list[Event] = []

    async def sink(event: Event) -> None:
        events.append(event)

    await slack.start(sink)
    try:
        # Both tokens work: each workspace is reported served.
        assert [(type(e), e.community) for e in events] == [
            (BotAdded, "slack:T0SECOND"),
            (BotAdded, f"slack:{TEAM}"),
        ]
        events.clear()
        await slack.send(GENERAL, Post(text="first"), nonce="a")
        await slack.send(
            ChannelRef(community="slack:T0SECOND", channel_id="C0OTHER"),
            Post(text="second"),
            nonce="b",
        )
        tokens = [(c.params["text"], c.token) for c in fake_slack.called("chat.postMessage")]
        assert tokens == [("first", BOT_TOKEN), ("second", "xoxb-2-second")]
        assert len(fake_slack.called("apps.connections.open")) == 1  # one socket for all
        for team, event_id in ((TEAM, "Ev1"), ("T0SECOND", "Ev2")):
            await fake_slack.push(
                {
                    "envelope_id": f"env-{event_id}",
                    "type": "events_api",
                    "payload": {
                        "type": "event_callback",
                        "team_id": team,
                        "event_id": event_id,
                        "event_time": 1763800800,
                        "authorizations": [{"team_id": team, "user_id": "U0X", "is_bot": True}],
                        "event": {
                            "type": "reaction_added",
                            "user": "U0ALICE",
                            "reaction": "tada",
                            "item": {"type": "message", "channel": "C0X", "ts": "1.2"},
                            "event_ts": "1763800800.000100",
                        },
                    },
                }
            )
        await until(lambda: len(events) == 2)
        assert sorted(e.community for e in events) == ["slack:T0SECOND", f"slack:{TEAM}"]
        assert all(isinstance(e, ReactionAdded) for e in events)
    finally:
        await slack.stop()


@pytest.mark.parametrize("thread", [None, "1763800000.000050"])
async def test_a_post_whose_answer_was_lost_is_found_by_its_metadata(
    adapter: SlackAdapter, fake_slack: FakeSlack, clock: ManualClock, thread: str | None
) -> None:
    where = ChannelRef(community=KEY, channel_id="C0GENERAL", thread_id=thread)
    fake_slack.failures["chat.postMessage"] = ["after"]
    with pytest.raises(Unavailable):
        await adapter.send(where, Post(text="weekly question"), nonce="posts:q:1")
    [posted] = fake_slack.called("chat.postMessage")
    assert posted.params["metadata"] == {
        "event_type": "terreau_post",
        "event_payload": {"nonce": "posts:q:1"},
    }
    await clock.advance(timedelta(hours=3))

    found = await adapter.find_sent(
        where, Post(text="weekly question"), nonce="posts:q:1", since=START
    )
    assert found == [
        SentMessage(
            community=KEY,
            channel_id="C0GENERAL",
            message_id=fake_slack.messages["C0GENERAL"][0]["ts"],
            thread_id=thread,
        )
    ]
    assert (
        await adapter.find_sent(where, Post(text="weekly question"), nonce="posts:q:2", since=START)
        == []
    )
    # Only the history of the window is searched.
    later = START + timedelta(minutes=1)
    assert await adapter.find_sent(where, Post(text="x"), nonce="posts:q:1", since=later) == []
    earlier = START - timedelta(minutes=2)
    before = START - timedelta(minutes=1)
    assert (
        await adapter.find_sent(
            where, Post(text="x"), nonce="posts:q:1", since=earlier, until=before
        )
        == []
    )


async def test_a_post_that_failed_before_slack_took_it_is_not_found(
    adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    fake_slack.failures["chat.postMessage"] = ["before"]
    with pytest.raises(Unavailable):
        await adapter.send(GENERAL, Post(text="hello"), nonce="n1")
    assert await adapter.find_sent(GENERAL, Post(text="hello"), nonce="n1", since=START) == []
    [history] = fake_slack.called("conversations.history")
    assert history.params["include_all_metadata"] in ("1", "true", True)


async def test_finding_a_post_pages_through_a_busy_channel(
    adapter: SlackAdapter, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    sent = await adapter.send(GENERAL, Post(text="the post"), nonce="n1")
    for index in range(450):
        await clock.advance(timedelta(seconds=2))
        fake_slack.messages["C0GENERAL"].append(
            {
                "type": "message",
                "user": "U0ALICE",
                "text": f"chat {index}",
                "ts": f"{int(clock.now().timestamp())}.{index:06d}",
            }
        )
    found = await adapter.find_sent(GENERAL, Post(text="the post"), nonce="n1", since=START)
    assert [message.message_id for message in found] == [sent.message_id]
    assert len(fake_slack.called("conversations.history")) == 3
    # Bounded by the end of the sender's lease, the window holds one page.
    until = START + timedelta(seconds=1)
    assert (
        await adapter.find_sent(
            GENERAL, Post(text="the post"), nonce="n1", since=START, until=until
        )
        == found
    )
    assert len(fake_slack.called("conversations.history")) == 4


async def test_a_workspace_whose_token_was_revoked_is_reported_removed_not_fatal(
    fake_slack: FakeSlack, clock: ManualClock
) -> None:
    # The app was uninstalled from T0GONE.
    slack = serving_two(fake_slack, clock, team_id="T0GONE", number=3, mode="http", revoked=True)
    events: list[Event] = []

    async def sink(event: Event) -> None:
        events.append(event)

    await slack.start(sink)
    try:
        assert [(type(e), e.community, e.occurred_at) for e in events] == [
            (BotAdded, f"slack:{TEAM}", START),
            (BotRemoved, "slack:T0GONE", START),
        ]
        gone = ChannelRef(community="slack:T0GONE", channel_id="C0X")
        with pytest.raises(NotFound):
            await slack.send(gone, Post(text="hello?"), nonce="n1")
        await slack.send(GENERAL, Post(text="still here"), nonce="n2")
    finally:
        await slack.stop()


async def test_a_mistyped_token_still_stops_the_start(
    fake_slack: FakeSlack, clock: ManualClock
) -> None:
    slack = SlackAdapter(
        workspaces=[Workspace(team_id=TEAM, token="xoxb-typo")],
        clock=clock,
        mode="http",
        api_base=fake_slack.api_base,
        signing_secret=SECRET,
        http_port=0,
    )

    async def sink(event: Event) -> None:
        raise AssertionError(event)

    with pytest.raises(PlatformError, match="invalid_auth"):
        await slack.start(sink)
