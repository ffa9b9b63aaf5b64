"""A PostgreSQL batch's text column goes as one joined text only when it splits back exact."""

from __future__ import annotations

import pytest

from bot.storage._postgres_batch import NULL, SEPARATOR, joined_text

pytestmark = [pytest.mark.ingest, pytest.mark.storage]


def split(text: str) -> list[str | None]:
    """What the server's `string_to_array(text, SEPARATOR, NULL)` gives back."""
    if text == "":
        return []
    return [None if value == NULL else value for value in text.split(SEPARATOR)]


@pytest.mark.parametrize(
    "values",
    [
        ("a", "b", "c"),
        (None, None),
        (None,),
        ("", ""),
        ("a", None, ""),
        ("", None),
        ("ünïcode ☃", "   "),
    ],
)
def test_values_that_split_back_exact_are_joined(values: tuple[str | None, ...]) -> None:
    joined = joined_text(values)
    assert joined is not None
    assert split(joined) == list(values)


@pytest.mark.parametrize(
    "values",
    [
        ("a", f"b{SEPARATOR}c"),
        (SEPARATOR,),
        (NULL, None),
        (f"x{NULL}", "y"),
        ("",),  # the server splits an empty text into no value at all
        ("a", 7),
    ],
)
def test_values_that_would_not_split_back_are_not_joined(values: tuple[object, ...]) -> None:
    assert joined_text(values) is None
