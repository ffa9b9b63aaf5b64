"""Hold-ups through discord.py on the fake server: a hostile problem, a public thread, a welcome."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.adapters.discord.conftest import GENERAL, Running
from tests.adapters.discord.fake_discord import FakeDiscord, payload
from tests.fakes import until
from tests.prompt_samples import HOSTILE

pytestmark = [pytest.mark.discord, pytest.mark.holdup]

MO = "1170000000000000022"
PUBLIC_THREAD = 11
HOLDUP = """
[communities.holdup]
enabled = true
auto_approve = true
"""
_ESCAPED = re.compile(r"\\.")


def submit(problem: str, wanted: str, context: str) -> dict[str, Any]:
    """The interaction Mo sends with `/terreau holdup submit problem:... wanted:... context:...`."""
    interaction = payload("interaction_command")
    interaction["id"] = "1189000000000000093"
    interaction["data"]["options"] = [
        {
            "name": "holdup",
            "type": 2,
            "options": [
                {
                    "name": "submit",
                    "type": 1,
                    "options": [
                        {"name": "problem", "type": 3, "value": problem},
                        {"name": "wanted", "type": 3, "value": wanted},
                        {"name": "context", "type": 3, "value": context},
                    ],
                }
            ],
        }
    ]
    return interaction


async def test_an_approved_hold_up_opens_a_public_thread_and_shows_its_problem_as_typed(
    running: Running, server: FakeDiscord
) -> None:
    await running.start(extra=HOLDUP)

    await server.dispatch("INTERACTION_CREATE", submit(HOSTILE, "des noms", "une boulangerie"))
    await until(lambda: len(server.threads) == 1 and len(server.messages) == 2)

    [announcement] = server.messages[GENERAL]
    [(thread_id, thread)] = server.threads.items()
    assert (thread["type"], thread["parent_id"]) == (PUBLIC_THREAD, GENERAL)
    assert thread["name"].startswith("Hold-up")
    assert MO in server.thread_members[thread_id]
    [greeting] = server.messages[thread_id]
    for message in (announcement, greeting):
        live = _ESCAPED.sub("", message["content"])
        assert "://" not in live and "](" not in live and "**x**" not in live
        assert "```" not in live and "||" not in live
        assert r"\[x\](https\://evil.example)" in message["content"]
        assert "@\u200beveryone" in message["content"]
    [posted] = server.requests_to("POST", f"/channels/{GENERAL}/messages")
    assert posted.body["allowed_mentions"]["users"] == [int(MO)]
    assert f"<@{MO}>" in announcement["content"]
