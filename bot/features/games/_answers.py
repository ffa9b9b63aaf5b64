"""Matching free answers: case, accents, spacing and surrounding punctuation do not count."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable

log = logging.getLogger(__name__)


def normalize(text: str) -> str:
    """Return `text` folded for comparison: no accents, no case, no outer punctuation."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    folded = " ".join(bare.casefold().split())
    start, end = 0, len(folded)
    while start < end and not _is_word(folded[start]):
        start += 1
    while end > start and not _is_word(folded[end - 1]):
        end -= 1
    return folded[start:end]


_KEPT = frozenset("#")  # "C#" is an answer, not "C" and a stray sign


def _is_word(char: str) -> bool:
    """Return False for the punctuation and spaces that surround an answer."""
    if char in _KEPT:
        return True
    return not (char.isspace() or unicodedata.category(char).startswith("P"))


def matches(answer: str, accepted: Iterable[str]) -> bool:
    """Return whether a member's answer is one of the accepted answers."""
    given = normalize(answer)
    return bool(given) and any(given == normalize(option) for option in accepted)
