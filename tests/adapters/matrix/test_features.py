"""Terreau's features on Matrix, end to end on Synapse: rituals, trivia, polls, elections,
icebreakers, hostile member text and the homeserver's rate limiter."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.matrix.render import CHOICES_KEY, KEYCAPS
from bot.domain import ChannelRef, Post
from bot.ports import RateLimited
from bot.storage import QuestionRecord
from tests.adapters.matrix.conftest import Community, Terreau

pytestmark = pytest.mark.matrix

CONTENT = Path(__file__).parents[2] / "games_content"
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


def noon_in_paris(after: datetime, days: int = 1) -> datetime:
    """11:00 UTC (noon in Paris in winter) `days` days after `after`."""
    return (after + days * DAY).replace(hour=11, minute=0, second=0, microsecond=0)


async def at(terreau: Terreau, moment: datetime) -> None:
    assert terreau.app is not None
    await terreau.clock.set(moment)
    await terreau.app.scheduler.idle()
    await terreau.app.settled()


def choices_of(message: dict[str, Any]) -> list[str]:
    return list(message["content"].get(CHOICES_KEY) or [])


async def test_a_ritual_is_posted_once_even_across_a_restart(
    terreau: Terreau, community: Community
) -> None:
    ritual = """
[[communities.posts.schedules]]
name = "question"
channel = "general"
cron = "0 12 * * *"
pool = "discussion"
"""
    due = noon_in_paris(terreau.clock.now())
    await terreau.start(ritual)
    await at(terreau, due)
    await terreau.stop()
    await terreau.start(ritual)
    await at(terreau, due + MINUTE)
    posted = await community.said()
    assert [key.split(".")[:2] for key in terreau.keys_shown(posted)] == [["pools", "discussion"]]


GAMES = f"""
[communities.games]
channel = "general"
trivia_dirs = ["{CONTENT / "trivia"}"]
poll_dirs = ["{CONTENT / "polls"}"]
"""


async def open_question(terreau: Terreau) -> QuestionRecord:
    app = terreau.app
    assert app is not None
    async with app.database.read() as uow:
        question = await uow.games.open_question_in(
            app.community_id(terreau.key), terreau.community.general
        )
    assert question is not None
    return question


async def points(terreau: Terreau) -> dict[str, int]:
    app = terreau.app
    assert app is not None
    async with app.database.read() as uow:
        lines = await uow.games.leaderboard(app.community_id(terreau.key), None, limit=100)
    return {line.member_id: line.points for line in lines}


async def test_a_trivia_round_is_answered_with_keycap_reactions(
    terreau: Terreau, community: Community
) -> None:
    await terreau.start(GAMES)
    alice, bob, carol = community["alice"], community["bob"], community["carol"]
    started = await alice.say(community.general, "!terreau game trivia fixtures 1")
    await terreau.seen(started)
    intro, asked = await community.said()
    assert terreau.keys_shown([intro, asked]) == ["games.trivia.intro", "games.trivia.question"]
    question = await open_question(terreau)
    choices = question.content["choices"]
    right = choices.index(question.content["answer"])
    assert choices_of(asked) == [f"game:q{question.id}:{n}" for n in range(len(choices))]

    first = await bob.react(community.general, asked["event_id"], KEYCAPS[right])
    await terreau.seen(f"{first}:choice")
    second = await alice.react(community.general, asked["event_id"], KEYCAPS[right])
    wrong = await carol.react(community.general, asked["event_id"], KEYCAPS[(right + 1) % 3])
    await terreau.seen(f"{second}:choice", f"{wrong}:choice")
    await at(terreau, terreau.clock.now() + 2 * MINUTE)

    keys = terreau.keys_shown(await community.said())
    assert keys[2:] == ["games.trivia.reveal", "games.trivia.summary"]
    assert await points(terreau) == {bob.user_id: 15, alice.user_id: 10}
    # Each click was withdrawn once counted: the others see only Terreau's own keycaps.
    clicked = await carol.do(carol.client.room_get_event(community.general, first))
    assert clicked.event.source["content"] == {}
    assert "redacted_because" in clicked.event.source["unsigned"]


async def test_member_text_in_a_poll_is_shown_as_typed_and_pings_nobody(
    terreau: Terreau, community: Community
) -> None:
    await terreau.start(GAMES)
    mod, alice = community["mod"], community["alice"]
    hostile = '<b>bold</b> @room **not bold** <a href="https://evil.example">x</a>'
    typed = await mod.say(community.general, f'!terreau game poll "{hostile}" <img src=x> | @room')
    await terreau.seen(typed)
    (poll,) = await community.said()
    content = poll["content"]
    assert terreau.shown(content).key == "games.poll.post"
    html = content["formatted_body"]
    assert "<b>" not in html and "<img" not in html and 'evil.example">' not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "&lt;img src=x&gt;" in html
    assert "<strong>not bold</strong>" not in html and "**not bold**" in html
    assert content["m.mentions"] == {"user_ids": []}
    assert hostile in content["body"]

    vote = await alice.reply(community.general, poll["event_id"], "2")
    await terreau.seen(vote, f"{vote}:choice")
    assert terreau.keys_shown(await community.inbox("alice"))[-1].startswith("games.poll.")


async def test_a_ranked_election_is_voted_privately_with_keycaps(
    terreau: Terreau, community: Community
) -> None:
    election = """
[communities.election]
enabled = true
method = "ranked"
nomination_hours = 1
voting_hours = 1
min_tenure_days = 0
min_interactions = 0
"""
    await terreau.start(election)
    alice, bob, carol, mod = (community[name] for name in ("alice", "bob", "carol", "mod"))
    hello = [await person.say(community.general, "hello") for person in (alice, bob, carol)]
    await terreau.seen(*hello)
    # The homeserver stamps events with real time; Terreau's clock moves past them.
    await at(terreau, terreau.clock.now() + MINUTE)
    opened = await mod.say(community.general, "!terreau election start")
    await terreau.seen(opened)
    nominations = [
        await alice.say(community.general, f"!terreau election nominate {bob.user_id} kind"),
        await bob.say(
            community.general,
            "!terreau election nominate Carol funny",
            format="org.matrix.custom.html",
            formatted_body=(
                "!terreau election nominate "
                f'<a href="https://matrix.to/#/{carol.user_id}">Carol</a> funny'
            ),
        ),
    ]
    await terreau.seen(*nominations)
    assert terreau.keys_shown(await community.inbox("bob"))[-1] == "election.nominated"
    voting = await mod.say(community.general, "!terreau election close")
    await terreau.seen(voting)

    ballots: dict[str, dict[str, Any]] = {}
    for name in ("alice", "mod", "carol"):
        asked = await community[name].say(community.general, "!terreau election vote")
        await terreau.seen(asked)
        ballot = (await community.inbox(name))[-1]
        assert terreau.shown(ballot["content"]).key == "election.ballot.private"
        ballots[name] = ballot

    def keycap(ballot: dict[str, Any], nominee: str) -> str:
        ids = [choice.split(":", 2)[2] for choice in choices_of(ballot)]
        return KEYCAPS[ids.index(nominee)]

    async def rank(name: str, *nominees: str) -> None:
        ballot = ballots[name]
        for nominee in nominees:
            clicked = await community[name].react(
                ballot["room_id"], ballot["event_id"], keycap(ballot, nominee)
            )
            await terreau.seen(f"{clicked}:choice")

    await rank("alice", carol.user_id, bob.user_id)
    await rank("mod", bob.user_id, carol.user_id)
    await rank("carol", bob.user_id)
    answers = terreau.keys_shown(await community.inbox("alice"))
    assert answers[-1] == "election.ballot.ranked"
    closing = await mod.say(community.general, "!terreau election close")
    await terreau.seen(closing)
    results = [
        message
        for message in await community.said()
        if terreau.shown(message["content"]).key == "election.posts.result"
    ]
    (result,) = results
    assert result["content"]["m.mentions"]["user_ids"] == [bob.user_id]


async def test_icebreaker_mentions_only_its_invitees(
    terreau: Terreau, community: Community
) -> None:
    icebreaker = """
[communities.icebreaker]
enabled = true
schedule = "0 18 * * 2"
channel = "general"
max_invitees = 2

[communities.icebreaker.levels]
quiet_after_days = 20
"""
    await terreau.start(icebreaker)
    alice, bob, carol, mod = (community[name] for name in ("alice", "bob", "carol", "mod"))
    said = [await person.say(community.general, "hi") for person in (alice, bob, carol, mod)]
    opted_out = await carol.say(community.general, "!terreau me optout")
    await terreau.seen(*said, opted_out)
    await at(terreau, noon_in_paris(terreau.clock.now(), days=40))
    asked = await mod.say(community.general, "!terreau icebreaker now")
    await terreau.seen(asked)

    invitations = [
        message
        for message in await community.said()
        if terreau.shown(message["content"]).key == "icebreaker.invitation"
    ]
    (invitation,) = invitations
    rendered = terreau.shown(invitation["content"])
    meant = [mention.member_id for mention in rendered.post.mentions]
    mentioned = invitation["content"]["m.mentions"]
    assert mentioned == {"user_ids": meant}
    assert 1 <= len(meant) <= 2 and carol.user_id not in meant
    html = invitation["content"]["formatted_body"]
    assert html.count("https://matrix.to/#/@") == len(meant)


async def test_a_rate_limited_post_waits_on_the_clock_and_posts_once(
    terreau: Terreau, community: Community
) -> None:
    await terreau.start()
    app, adapter = terreau.app, terreau.adapter
    assert app is not None and adapter is not None
    where = ChannelRef(community=terreau.key, channel_id=community.general)
    community.server.limit_messages(community.bot.user_id, per_second=1, burst=1)
    try:
        # Fill the limiter's one-message burst (waiting out what earlier requests left in it).
        for _ in range(10):
            try:
                await adapter.send(where, Post(text="first"), nonce="rate-1")
                break
            except RateLimited as error:
                await asyncio.sleep(error.retry_after)
        async with app.database.transaction() as uow:
            queued = await app.delivery.enqueue(
                uow,
                community_id=app.community_id(terreau.key),
                where=where,
                post=Post(text="second"),
                nonce="rate-2",
            )
        sending = asyncio.create_task(app.delivery.deliver(queued))
        # The homeserver answers M_LIMIT_EXCEEDED, retry after about a second (the outbox
        # lease's renewal sleeps too, but tens of seconds).
        wake = await terreau.clock.wake_within(timedelta(seconds=5), unless=sending)
        assert wake is not None, "the rate limit was not waited out on the clock"
        # Synapse's limiter runs on real time: let it refill, then move Terreau's clock.
        await asyncio.sleep((wake - terreau.clock.now()).total_seconds())
        await terreau.clock.set(wake)
        sent = await asyncio.wait_for(sending, 30)
        assert sent is not None
        again = await adapter.send(where, Post(text="second"), nonce="rate-2")
        assert again.message_id == sent.message_id  # the transaction id is the nonce
    finally:
        community.server.unlimit_messages(community.bot.user_id)
    bodies = [message["content"]["body"] for message in await community.said()]
    assert bodies == ["first", "second"]
