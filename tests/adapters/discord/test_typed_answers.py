"""Typed trivia answers through unmodified discord.py, with and without the Message Content intent.

Whether features can read what members type is Discord's Message Content intent;
whether the interaction log keeps it is `[ingest] store_content`, a separate choice.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.app import App
from bot.domain import MessagePosted
from bot.storage import QuestionRecord
from tests.adapters.discord.conftest import GENERAL, GUILD, KEY, Running
from tests.adapters.discord.fake_discord import FakeDiscord, payload
from tests.fakes import until

pytestmark = [pytest.mark.discord, pytest.mark.games]

CONTENT = Path(__file__).parents[2] / "games_content"
# Monday 23 November 2026, 12:00 in Paris: long after the community's 09:00 ritual.
NOON = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
TYPED = {
    "1170000000000000041": "Reykjavík",
    "1170000000000000042": "reykjavik!",
    "1170000000000000043": "  REYKJAVIK ",
}
GAMES = f"""
[communities.games]
channel = "general"
trivia_dirs = ["{CONTENT / "trivia"}"]

[ingest]
store_content = false
"""


def trivia_command(category: str, interaction_id: str) -> dict[str, Any]:
    """Return an INTERACTION_CREATE for `/terreau game trivia <category> 1` in #general."""
    data = payload("interaction_command")
    data["id"] = interaction_id
    data["token"] = f"token-{interaction_id}"
    data["data"]["options"] = [
        {
            "name": "game",
            "type": 2,
            "options": [
                {
                    "name": "trivia",
                    "type": 1,
                    "options": [
                        {"name": "category", "type": 3, "value": category},
                        {"name": "questions", "type": 4, "value": 1},
                    ],
                }
            ],
        }
    ]
    return data


def typed(index: int, member_id: str, content: str) -> dict[str, Any]:
    """Return a MESSAGE_CREATE of `content` typed by a member in #general."""
    data = copy.deepcopy(payload("message_create"))
    name = f"Member{member_id[-2:]}"
    data["id"] = str(1188000000000000500 + index)
    data["author"].update(id=member_id, username=name.lower(), global_name=name)
    data["member"]["nick"] = name
    data["content"] = content
    data["mentions"] = []
    return data


def posts_in_general(server: FakeDiscord) -> list[str]:
    return [r.body["content"] for r in server.requests_to("POST", f"/channels/{GENERAL}/messages")]


async def open_question(app: App) -> QuestionRecord | None:
    async with app.database.read() as uow:
        return await uow.games.open_question_in(app.community_id(KEY), GENERAL)


async def test_typed_answers_are_credited_and_the_log_keeps_no_text(
    running: Running, server: FakeDiscord
) -> None:
    await running.clock.set(NOON)
    app = await running.start(content=True, extra=GAMES)
    seen: list[MessagePosted] = []

    async def record(event: MessagePosted) -> None:
        seen.append(event)

    app.dispatcher.subscribe(MessagePosted, record)  # after the games: they have answered
    await server.dispatch("INTERACTION_CREATE", trivia_command("capitals", "1189000000000000101"))
    await until(lambda: len(posts_in_general(server)) == 2)  # the intro and the question
    question = await open_question(app)
    assert question is not None and question.content["choices"] == []

    for index, (member_id, answer) in enumerate(TYPED.items()):
        await server.dispatch("MESSAGE_CREATE", typed(index, member_id, answer))
    await until(lambda: len(seen) == len(TYPED))
    await running.clock.set(NOON + timedelta(minutes=2))
    await app.scheduler.idle()
    await until(lambda: len(posts_in_general(server)) == 4)  # the reveal and the summary

    async with app.database.read() as uow:
        answers = await uow.games.answers(question.id)
    assert {a.member_id: a.correct for a in answers} == dict.fromkeys(TYPED, True)
    reveal = posts_in_general(server)[2]
    assert all(f"Member{member_id[-2:]}" in reveal for member_id in TYPED)
    await app.writer.flush()
    async with app.database.read() as uow:
        rows = (
            await uow.connection.execute(
                text("SELECT content FROM interactions WHERE kind = 'message'")
            )
        ).all()
    assert len(rows) == len(TYPED) and all(row.content is None for row in rows)


async def test_without_the_intent_a_round_asks_button_questions_and_says_so(
    running: Running, server: FakeDiscord
) -> None:
    await running.clock.set(NOON)
    app = await running.start(content=False, extra=GAMES)
    catalog = app.catalog(KEY)

    await server.dispatch("INTERACTION_CREATE", trivia_command("capitals", "1189000000000000102"))
    await until(lambda: bool(server.requests_to("POST", "/interactions/1189000000000000102/")))
    [refusal] = server.requests_to("POST", "/interactions/1189000000000000102/")
    assert refusal.body["data"]["content"] == catalog.text(
        "games.trivia.no_button_questions", category="Capitals"
    )
    assert posts_in_general(server) == []

    await server.dispatch("INTERACTION_CREATE", trivia_command("fixtures", "1189000000000000103"))
    await until(lambda: len(posts_in_general(server)) == 2)
    intro, _ = posts_in_general(server)
    assert catalog.text("games.trivia.buttons_only") in intro
    question = await open_question(app)
    assert question is not None and question.content["choices"]


async def test_without_the_intent_start_up_says_typed_answers_are_off(
    running: Running, caplog: Any
) -> None:
    caplog.set_level("INFO")
    await running.start(content=False, extra=GAMES)

    [line] = [r.getMessage() for r in caplog.records if "message_content" in r.getMessage()]
    assert KEY in line and "Les Jardiniers" in line
    assert GUILD in line
