"""How `/terreau ...` typed as one line of text is read, on every text platform.

Slack's slash command, the console and any platform where members type the
command as text share this one grammar, so a reason or a poll question reads
the same everywhere:

- words are separated by spaces;
- quotes group words when they balance: a quote that opens a word (`"`, `'`,
  `“`, `‘`, `«`) and a matching quote that closes a later word (`"`, `'`, `”`,
  `’`, `»`) make one word of what lies between;
- any other quote is a literal character, so `she's`, `l'équipe` or `5'11"`
  need no escaping, and an unbalanced quote is simply part of the text;
- the last free-text option of a command takes the rest of the line as typed
  (see `bot.commands`), quotes included, unless the whole rest is one quoted group.

Reading never fails: a line always reads as words. Whether the words fit a
command is the registry's business, and its problems name the option and show
the usage, never a parser's message.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)

_CLOSERS = {
    '"': ('"', "”"),
    "'": ("'", "’"),
    "“": ("”", '"'),
    "‘": ("’", "'"),
    "«": ("»",),
    "„": ("“", "”"),
}
"""Each opening quote and the quotes that may close it (phones and Slack curl them)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Word:
    """One word of a line: its value, and where it lies in the line (`end` excluded)."""

    value: str
    start: int
    end: int
    quoted: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class CommandLine:
    """A `/terreau` line: its group, its action word, and the text after the group as typed."""

    group: str
    action: str
    text: str


def read_command_line(text: str) -> CommandLine:
    """Read the text after `/terreau`; nothing typed, or `help ...`, is the help group."""
    words = split_words(text)
    if not words:
        return CommandLine(group="help", action="", text="")
    first = words[0]
    after_group = text[first.end :].strip()
    action = words[1].value if len(words) > 1 else ""
    return CommandLine(group=first.value.lower(), action=action, text=after_group)


def split_words(text: str) -> list[Word]:
    """Split `text` into words; balanced quotes group, any other quote is kept as typed."""
    words: list[Word] = []
    position = 0
    length = len(text)
    while position < length:
        if text[position].isspace():
            position += 1
            continue
        closing = _closing_quote(text, position)
        if closing is not None:
            inner = text[position + 1 : closing].strip()
            words.append(Word(value=inner, start=position, end=closing + 1, quoted=True))
            position = closing + 1
            continue
        end = position
        while end < length and not text[end].isspace():
            end += 1
        words.append(Word(value=text[position:end], start=position, end=end))
        position = end
    return words


def words_of(values: Sequence[str]) -> tuple[str, list[Word]]:
    """Return a line and its words for values already split (each value one word)."""
    words: list[Word] = []
    position = 0
    for value in values:
        words.append(Word(value=value, start=position, end=position + len(value)))
        position += len(value) + 1
    return " ".join(values), words


def rest_of(text: str, words: Sequence[Word], index: int) -> str:
    """Return the line from word `index` on, as typed; one quoted group alone loses its quotes."""
    if index >= len(words):
        return ""
    if index == len(words) - 1 and words[index].quoted:
        return words[index].value
    return text[words[index].start :].strip()


def _closing_quote(text: str, start: int) -> int | None:
    """Return where the quote opening a word at `start` closes, or None if it does not."""
    closers = _CLOSERS.get(text[start])
    if closers is None:
        return None
    for position in range(start + 1, len(text)):
        if text[position] in closers and (
            position + 1 == len(text) or text[position + 1].isspace()
        ):
            return position
    return None
