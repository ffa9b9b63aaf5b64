"""The shared board helpers: what a template sees of an item, the next one, vote button ids."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain import Mention
from bot.features._board import entries, parse_vote_id, top, vote_id
from bot.storage.boards import Item

pytestmark = pytest.mark.boards

T = datetime(2026, 12, 6, 12, tzinfo=UTC)


def item(number: int, *, anonymous: bool = False, taken: bool = False) -> Item:
    return Item(
        id=number * 10,
        board_id=1,
        number=number,
        author_id=f"m{number}",
        text=f"<@everyone> **{number}**",
        anonymous=anonymous,
        status="open",
        merged_into=None,
        created_at=T,
        taken_at=T if taken else None,
        answered_at=None,
        points=number,
    )


def test_anonymous_authors_are_hidden_unless_revealed() -> None:
    names = {"m1": Mention(member_id="m1", display_name="Ann")}
    hidden = entries([item(1, anonymous=True)], names, reveal=False)
    shown = entries([item(1, anonymous=True)], names, reveal=True)
    assert hidden[0]["author"] is None and shown[0]["author"] == names["m1"]
    assert hidden[0]["text"] == "<@everyone> **1**"  # rendering makes it a literal run


def test_the_next_item_is_the_best_ranked_not_taken() -> None:
    assert top([item(3, taken=True), item(2), item(1)]) == item(2)
    assert top([item(3, taken=True)]) is None


def test_vote_ids_round_trip() -> None:
    assert parse_vote_id(vote_id("live", 4, 12)) == (4, 12)
    assert parse_vote_id("live:4:interested") is None
    assert parse_vote_id("live:x:vote:1") is None
