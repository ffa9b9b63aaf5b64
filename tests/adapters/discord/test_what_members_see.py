"""What reaches Discord: member text inert, long answers whole, through unmodified discord.py."""

from __future__ import annotations

import re
from typing import Any

import pytest

from adapters.discord.render import MAX_CONTENT, content, discord_nonce
from bot.domain import ChannelRef, CommandInvoked, Mention
from tests.adapters.discord.conftest import GENERAL, KEY, Running
from tests.adapters.discord.fake_discord import FakeDiscord, payload
from tests.fakes import until
from tests.prompt_samples import HOSTILE, HOSTILE_LINES, full_digest

pytestmark = pytest.mark.discord

EPHEMERAL = 64
ALICE = "1170000000000000011"
_ESCAPED = re.compile(r"\\.")


def live_markup(content: str) -> str:
    """What Discord would read as markup: the content without its backslash escapes."""
    return _ESCAPED.sub("", content)


def lines(text: str) -> list[str]:
    """The non-empty lines of a text: messages break between paragraphs or lines."""
    return [line for line in text.splitlines() if line]


def poll_command(question: str, options: str) -> dict[str, Any]:
    """The interaction a member sends with `/terreau game poll question:... options:...`."""
    interaction = payload("interaction_command")
    interaction["id"] = "1189000000000000077"
    interaction["data"]["options"] = [
        {
            "name": "game",
            "type": 2,
            "options": [
                {
                    "name": "poll",
                    "type": 1,
                    "options": [
                        {"name": "question", "type": 3, "value": question},
                        {"name": "options", "type": 3, "value": options},
                    ],
                }
            ],
        }
    ]
    return interaction


async def test_a_hostile_poll_is_posted_as_typed_with_no_live_link_or_ping(
    running: Running, server: FakeDiscord
) -> None:
    await running.start()
    options = f"[x](https://evil.example) | **b** | <@{ALICE}> @everyone"

    await server.dispatch("INTERACTION_CREATE", poll_command(HOSTILE, options))
    # The poll is posted, then the member is told it started: the command is done.
    await until(lambda: bool(server.requests_to("POST", "/interactions/")))

    [posted] = server.requests_to("POST", f"/channels/{GENERAL}/messages")
    body = posted.body
    assert body["allowed_mentions"] == {"parse": []}
    live = live_markup(body["content"])
    assert "://" not in live and "](" not in live and "<@" not in live
    assert "**x**" not in live and "||" not in live and "```" not in live
    assert "@\u200beveryone" in body["content"]
    # The member's words are all there, each markup character escaped, not dropped.
    assert r"\[x\](https\://evil.example)" in body["content"]
    assert r"\*\*b\*\*" in body["content"] and f"\\<@\u200b{ALICE}>" in body["content"]
    labels = [c["label"] for row in body["components"] for c in row["components"]]
    assert labels == ["[x](https://evil.example)", "**b**", f"<@{ALICE}> @everyone"]


async def test_nomination_reasons_are_quoted_exactly_as_written(
    running: Running, server: FakeDiscord
) -> None:
    app = await running.start()
    assert running.adapter is not None
    result = app.catalog(KEY).post(
        "election.posts.result",
        resolution="single",
        period="2026-11",
        winners=[Mention(member_id=ALICE, display_name="Alice")],
        reasons=[HOSTILE_LINES, HOSTILE],
        nominees=["Alice", HOSTILE],
        ballots=21,
        eligible=40,
    )

    await running.adapter.send(ChannelRef(community=KEY, channel_id=GENERAL), result, nonce="r1")

    [posted] = server.requests_to("POST", f"/channels/{GENERAL}/messages")
    text = posted.body["content"]
    quoted = [line for line in text.splitlines() if line.startswith("> ")]
    assert len(quoted) == len(HOSTILE_LINES.splitlines()) + 1
    assert [live_markup(line[2:]) for line in quoted[:2]] == ["she's great", " heading"]
    assert [str(user) for user in posted.body["allowed_mentions"]["users"]] == [ALICE]
    # The hostile reasons end where they should: the post goes on, to its last line.
    assert text.endswith(content(result.blocks()[-1:]))


async def test_the_full_french_digest_is_sent_whole_in_several_messages(
    running: Running, server: FakeDiscord
) -> None:
    app = await running.start()
    assert running.adapter is not None
    digest = full_digest(app.catalog(KEY), "discord")
    assert len(digest.plain_text()) > 3500

    await running.adapter.send(
        ChannelRef(community=KEY, channel_id=GENERAL), digest, nonce="digest-1"
    )

    sent = server.requests_to("POST", f"/channels/{GENERAL}/messages")
    assert len(sent) >= 2
    assert all(len(request.body["content"]) <= MAX_CONTENT for request in sent)
    assert lines("\n".join(request.body["content"] for request in sent)) == lines(
        content(digest.blocks())
    )
    nonces = [request.body["nonce"] for request in sent]
    assert nonces[-1] == discord_nonce("digest-1") and len(set(nonces)) == len(nonces)


async def test_a_long_answer_to_a_command_goes_on_in_follow_ups(
    running: Running, server: FakeDiscord
) -> None:
    app = await running.start()
    assert running.adapter is not None
    commands: list[CommandInvoked] = []

    async def record(event: CommandInvoked) -> None:
        commands.append(event)

    app.dispatcher.subscribe(CommandInvoked, record)
    await server.dispatch("INTERACTION_CREATE", payload("interaction_help"))
    await until(lambda: bool(commands) and bool(server.requests_to("POST", "/interactions/")))
    digest = full_digest(app.catalog(KEY), "discord")

    await running.adapter.respond(commands[0], digest, private=True)

    follow_ups = server.requests_to("POST", "/webhooks/")
    assert len(follow_ups) >= 2
    assert all(request.body["flags"] == EPHEMERAL for request in follow_ups)
    assert all(len(request.body["content"]) <= MAX_CONTENT for request in follow_ups)
    assert lines("\n".join(r.body["content"] for r in follow_ups)) == lines(
        content(digest.blocks())
    )
