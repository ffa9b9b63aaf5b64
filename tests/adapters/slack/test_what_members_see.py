"""What reaches Slack: rich_text with member text plain, long answers whole, via slack-bolt."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.blocks import TEXT_LIMIT
from bot.command_line import split_words
from bot.domain import ChannelRef, CommandInvoked, Mention
from bot.domain.markup import plain
from tests.adapters.slack.conftest import SlackTerreau
from tests.adapters.slack.fake_slack import TEAM
from tests.fakes import ManualClock, until
from tests.prompt_samples import HOSTILE, HOSTILE_LINES, channel, full_digest

pytestmark = pytest.mark.slack

PAYLOADS = Path(__file__).parent / "payloads"
KEY = f"slack:{TEAM}"
GENERAL = ChannelRef(community=KEY, channel_id="C0GENERAL")


def command(text: str, user: str = "U0ALICE", response_url: str = "") -> dict[str, Any]:
    fields: dict[str, Any] = json.loads((PAYLOADS / "slash_command.json").read_text())
    fields.update(text=text, user_id=user, trigger_id="t-what", response_url=response_url)
    return fields


def elements(blocks: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every inline element of the rich_text blocks, with the kind of paragraph holding it."""
    for block in blocks:
        if block["type"] == "rich_text":
            for paragraph in block["elements"]:
                for element in paragraph["elements"]:
                    yield paragraph["type"], element


async def paced(terreau: SlackTerreau, sending: Coroutine[Any, Any, object]) -> None:
    """Run a send, moving the clock on by Slack's one-second pace between its messages."""
    clock = terreau.app.clock
    assert isinstance(clock, ManualClock)
    task = asyncio.create_task(sending)
    while not task.done():
        posted = len(terreau.fake.called("chat.postMessage"))
        await clock.advance(timedelta(seconds=1))
        await until(
            lambda seen=posted: task.done() or len(terreau.fake.called("chat.postMessage")) > seen
        )
    await task


def shown_text(blocks: list[dict[str, Any]]) -> str:
    """The text a member reads, channel elements shown by name as the plain text has them."""
    names = {channel("slack").channel_id: f"#{channel('slack').name}"}
    return "".join(
        names[element["channel_id"]] if element["type"] == "channel" else element.get("text", "")
        for _, element in elements(blocks)
    )


async def test_a_hostile_poll_reaches_slack_as_plain_text_elements(
    http_terreau: SlackTerreau,
) -> None:
    question = "**Tea** or [x](https://evil.example)? _x_ ~x~ ||s||"
    options = "[x](https://evil.example) | <!here> | **b** &amp;"
    await http_terreau.command(command(f'game poll "{question}" "{options}"', user="U0MO"))
    # The poll is posted, then the member is told it started: the command is done.
    await until(lambda: bool(http_terreau.fake.called("chat.postEphemeral")))

    [invoked] = [e for e in http_terreau.events if isinstance(e, CommandInvoked)]
    [posted] = http_terreau.fake.called("chat.postMessage")
    blocks = posted.params["blocks"]
    kinds = {element["type"] for _, element in elements(blocks)}
    assert kinds == {"text"}  # no link, user, channel or broadcast element
    text = shown_text(blocks)
    # The question and options exactly as the core received them.
    _action, typed_question, typed_options = (w.value for w in split_words(invoked.text))
    assert typed_question in text
    for option in typed_options.split("|"):
        assert option.strip() in text
    assert "<!here>" not in posted.params["text"]
    assert [e["text"]["text"] for e in blocks[-1]["elements"]] == [
        option.strip() for option in typed_options.split("|")
    ]


async def test_nomination_reasons_are_quoted_exactly_as_written(
    http_terreau: SlackTerreau,
) -> None:
    result = http_terreau.app.catalog(KEY).post(
        "election.posts.result",
        resolution="single",
        period="2026-11",
        winners=[Mention(member_id="U0ALICE", display_name="Alice")],
        reasons=[HOSTILE_LINES, HOSTILE],
        nominees=["Alice", HOSTILE],
        ballots=21,
        eligible=40,
    )

    await http_terreau.adapter.send(GENERAL, result, nonce="result-1")

    [posted] = http_terreau.fake.called("chat.postMessage")
    quoted = [e for kind, e in elements(posted.params["blocks"]) if kind == "rich_text_quote"]
    assert quoted == [{"type": "text", "text": f"{HOSTILE_LINES}\n{HOSTILE}"}]
    users = [e for _, e in elements(posted.params["blocks"]) if e["type"] == "user"]
    assert users == [{"type": "user", "user_id": "U0ALICE"}]
    assert "**" not in shown_text(posted.params["blocks"]).replace(HOSTILE, "").replace(
        HOSTILE_LINES, ""
    )


async def test_the_full_french_digest_is_posted_whole_in_several_messages(
    http_terreau: SlackTerreau,
) -> None:
    catalog = http_terreau.app.prompts.catalog("fr")
    digest = full_digest(catalog, "slack")
    assert len(digest.plain_text()) > 3500

    await paced(http_terreau, http_terreau.adapter.send(GENERAL, digest, nonce="digest-1"))

    posts = http_terreau.fake.called("chat.postMessage")
    assert len(posts) >= 2
    texts = [shown_text(call.params["blocks"]) for call in posts]
    assert all(len(text) <= TEXT_LIMIT for text in texts)
    whole = plain(digest.blocks()).replace("\n\n", "\n")
    assert "\n".join(texts).replace("\n\n", "\n") == whole
    assert [bool(call.params.get("metadata")) for call in posts] == [False] * (len(posts) - 1) + [
        True
    ]


async def test_a_long_private_answer_goes_out_in_several_ephemeral_messages(
    http_terreau: SlackTerreau,
) -> None:
    url = f"{http_terreau.fake.base}/response/1"
    await http_terreau.command(command("help", response_url=url))
    await until(lambda: bool(http_terreau.fake.responses))
    [invoked] = [e for e in http_terreau.events if isinstance(e, CommandInvoked)]
    digest = full_digest(http_terreau.app.prompts.catalog("fr"), "slack")
    before = len(http_terreau.fake.responses)

    await http_terreau.adapter.respond(invoked, digest, private=True)

    answers = http_terreau.fake.responses[before:]
    assert len(answers) >= 2
    assert all(answer["response_type"] == "ephemeral" for answer in answers)
    texts = [shown_text(answer["blocks"]) for answer in answers]
    assert all(len(text) <= TEXT_LIMIT for text in texts)
    assert "\n".join(texts).replace("\n\n", "\n") == plain(digest.blocks()).replace("\n\n", "\n")
