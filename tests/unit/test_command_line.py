"""The one `/terreau` line grammar every text platform shares, and how lines bind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.command_line import read_command_line, split_words
from bot.commands import (
    Command,
    CommandContext,
    CommandProblem,
    CommandRegistry,
    Option,
    OptionKind,
)
from bot.domain import CommandInvoked, Member

pytestmark = pytest.mark.cli

AT = datetime(2026, 11, 23, 8, tzinfo=UTC)


async def nothing(ctx: CommandContext) -> None:
    return None


def registry() -> CommandRegistry:
    commands = CommandRegistry()
    for action, options in (
        (
            "nominate",
            (Option(name="member", kind=OptionKind.MEMBER), Option(name="reason", rest=True)),
        ),
        (
            "twotruths",
            (
                Option(name="truth1", phrase=True),
                Option(name="truth2", phrase=True),
                Option(name="lie", rest=True),
            ),
        ),
        (
            "poll",
            (
                Option(name="question", required=False, phrase=True),
                Option(name="options", required=False, rest=True),
            ),
        ),
        ("trivia", (Option(name="category", required=False),)),
    ):
        commands.register(Command(group="game", action=action, handler=nothing, options=options))
    commands.register(
        Command(
            group="help",
            action="",
            handler=nothing,
            options=(Option(name="topic", required=False),),
        )
    )
    return commands


def typed(line: str) -> CommandInvoked:
    """Return the event a text platform builds from `/terreau <line>`."""
    read = read_command_line(line)
    return CommandInvoked(
        event_id="e1",
        community="console:demo",
        occurred_at=AT,
        member=Member(id="alice", display_name="Alice"),
        channel_id="general",
        group=read.group,
        action=read.action,
        text=read.text,
    )


def bound(line: str) -> dict[str, object]:
    _, options = registry().bind(typed(line), moderator=False)
    return options


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("she's always there", ["she's", "always", "there"]),
        ('"What\'s for lunch?" soup', ["What's for lunch?", "soup"]),
        ("'best day?' monday", ["best day?", "monday"]),
        ("“curly quotes” too", ["curly quotes", "too"]),
        ("« le meilleur » jour", ["le meilleur", "jour"]),
        ("5'11\" tall", ["5'11\"", "tall"]),
        ("'unbalanced quote", ["'unbalanced", "quote"]),
        ('"a"b c', ['"a"b', "c"]),
        ('" lone', ['"', "lone"]),
        ("  spaced\t out  ", ["spaced", "out"]),
        ("", []),
    ],
)
def test_quotes_group_words_only_when_they_balance(text: str, words: list[str]) -> None:
    assert [word.value for word in split_words(text)] == words


def test_a_line_reads_as_group_action_and_the_text_after_the_group() -> None:
    line = read_command_line("  Election nominate @bob she's great")
    assert (line.group, line.action, line.text) == (
        "election",
        "nominate",
        "nominate @bob she's great",
    )
    assert (read_command_line("").group, read_command_line("").action) == ("help", "")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("game nominate @bob she's always there", "she's always there"),
        ('game nominate @bob "she\'s always there"', "she's always there"),
        (
            'game nominate @bob she said "welcome!"  to  everyone',
            'she said "welcome!"  to  everyone',
        ),
        ("game nominate @bob l'équipe l’adore", "l'équipe l’adore"),
        ("game nominate @bob 'tis true, isn't it", "'tis true, isn't it"),
    ],
)
def test_free_text_takes_the_rest_of_the_line_as_typed(line: str, reason: str) -> None:
    assert bound(line) == {"member": "bob", "reason": reason}


def test_phrases_are_quoted_and_the_last_free_text_takes_the_rest() -> None:
    assert bound("game twotruths \"I've been to Peru\" 'I can't swim' I own a cat's hat") == {
        "truth1": "I've been to Peru",
        "truth2": "I can't swim",
        "lie": "I own a cat's hat",
    }
    assert bound('game poll "What\'s best?" tea | coffee') == {
        "question": "What's best?",
        "options": "tea | coffee",
    }


def test_a_group_level_command_reads_its_first_word() -> None:
    assert bound("help posts") == {"topic": "posts"}
    assert bound("help") == {"topic": None}


def test_a_line_that_does_not_fit_names_the_option_and_shows_how_to_type_it() -> None:
    with pytest.raises(CommandProblem) as raised:
        registry().bind(typed("game trivia science it's extra"), moderator=False)
    assert raised.value.key == "messages.commands.too_many_words"
    assert raised.value.variables == {
        "usage": "/terreau game trivia [category]",
        "extra": "it's extra",
    }
    with pytest.raises(CommandProblem) as raised:
        registry().bind(typed("game twotruths 'only one'"), moderator=False)
    assert raised.value.key == "messages.commands.missing_option"
    assert raised.value.variables == {
        "usage": '/terreau game twotruths "<truth1>" "<truth2>" <lie>',
        "option": "truth2",
    }


def test_phrases_typed_without_any_quotes_are_refused_with_how_to_quote_them() -> None:
    # Read as typed, "I have been to Peru ..." would make "I" the first truth.
    with pytest.raises(CommandProblem) as raised:
        registry().bind(
            typed("game twotruths I have been to Peru, I can swim, I own a cat"), moderator=False
        )
    assert raised.value.key == "messages.commands.unquoted_phrases"
    assert raised.value.variables == {
        "usage": '/terreau game twotruths "<truth1>" "<truth2>" <lie>',
        "options": ["truth1", "truth2"],
    }
    # One quoted phrase shows the member knows the grammar; a single phrase may be one word.
    assert bound("game twotruths Peru 'I can swim' a cat")["truth1"] == "Peru"
    assert bound("game poll Lunch? tea | coffee")["question"] == "Lunch?"
