from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.commands import (
    Command,
    CommandContext,
    CommandProblem,
    CommandRegistry,
    Option,
    OptionKind,
    Permission,
    is_moderator,
    member_reference,
)
from bot.domain import CommandInvoked, Member

pytestmark = [pytest.mark.core, pytest.mark.help]

AT = datetime(2026, 11, 23, 8, tzinfo=UTC)
ALICE = Member(id="alice", display_name="Alice")


async def nothing(ctx: CommandContext) -> None:
    return None


def registry() -> CommandRegistry:
    commands = CommandRegistry()
    commands.register(
        Command(
            group="game",
            action="trivia",
            handler=nothing,
            options=(
                Option(name="category", required=False),
                Option(
                    name="questions", kind=OptionKind.INTEGER, required=False, minimum=1, maximum=20
                ),
            ),
        )
    )
    commands.register(
        Command(
            group="election",
            action="nominate",
            handler=nothing,
            options=(
                Option(name="member", kind=OptionKind.MEMBER),
                Option(name="reason", rest=True),
            ),
        )
    )
    commands.register(
        Command(
            group="me",
            action="champion",
            handler=nothing,
            options=(Option(name="state", kind=OptionKind.CHOICE, choices=("on", "off")),),
        )
    )
    commands.register(
        Command(
            group="posts",
            action="pause",
            handler=nothing,
            permission=Permission.MODERATOR,
            options=(Option(name="ritual"),),
        )
    )
    commands.register(
        Command(
            group="help",
            action="",
            handler=nothing,
            options=(Option(name="topic", required=False),),
        )
    )
    return commands


def call(group: str, action: str, *args: str, **options: str) -> CommandInvoked:
    return CommandInvoked(
        event_id="e1",
        community="console:demo",
        occurred_at=AT,
        member=ALICE,
        channel_id="general",
        group=group,
        action=action,
        args=args,
        options=options,
    )


def problem(event: CommandInvoked, *, moderator: bool = False) -> CommandProblem:
    with pytest.raises(CommandProblem) as raised:
        registry().bind(event, moderator=moderator)
    return raised.value


def test_words_bind_to_typed_options_in_order() -> None:
    _, options = registry().bind(call("game", "trivia", "science", "5"), moderator=False)
    assert options == {"category": "science", "questions": 5}
    _, options = registry().bind(call("game", "trivia"), moderator=False)
    assert options == {"category": None, "questions": None}


def test_the_rest_option_takes_every_remaining_word_and_members_are_normalised() -> None:
    _, options = registry().bind(
        call("election", "nominate", "<@U123|bob>", "always", "helps"), moderator=False
    )
    assert options == {"member": "U123", "reason": "always helps"}
    assert member_reference("@alice") == "alice"
    assert member_reference("<@!42>") == "42"


def test_named_options_from_typed_platforms_bind_too() -> None:
    _, options = registry().bind(call("me", "champion", state="ON"), moderator=False)
    assert options == {"state": "on"}


def test_a_group_level_command_takes_the_action_word_as_its_first_argument() -> None:
    command, options = registry().bind(call("help", "posts"), moderator=False)
    assert command.group == "help" and options == {"topic": "posts"}


@pytest.mark.parametrize(
    ("event", "key", "variables"),
    [
        (call("dance", "now"), "messages.commands.unknown_group", {"group": "dance"}),
        (
            call("game", "chess"),
            "messages.commands.unknown_action",
            {"group": "game", "action": "chess"},
        ),
        (
            call("posts", "pause", "q"),
            "messages.commands.moderators_only",
            {"command": "/terreau posts pause <ritual>"},
        ),
        (
            call("election", "nominate"),
            "messages.commands.missing_option",
            {"usage": "/terreau election nominate <member> <reason>", "option": "member"},
        ),
        (
            call("game", "trivia", "a", "b", "c"),
            "messages.commands.too_many_words",
            {"usage": "/terreau game trivia [category] [questions]", "extra": "c"},
        ),
        (
            call("me", "champion", "maybe"),
            "messages.commands.bad_choice",
            {
                "usage": "/terreau me champion <state>",
                "option": "state",
                "value": "maybe",
                "choices": "on, off",
            },
        ),
        (
            call("me", "champion", colour="red"),
            "messages.commands.unknown_option",
            {"usage": "/terreau me champion <state>", "option": "colour"},
        ),
    ],
)
def test_each_malformed_call_names_its_problem(
    event: CommandInvoked, key: str, variables: dict[str, object]
) -> None:
    raised = problem(event)
    assert raised.key == key
    assert raised.variables == variables


def test_integers_are_checked_against_their_bounds() -> None:
    for word in ("0", "21", "five"):
        raised = problem(call("game", "trivia", "science", word))
        assert raised.key == "messages.commands.bad_integer"
        assert raised.variables["value"] == word
        assert (raised.variables["minimum"], raised.variables["maximum"]) == (1, 20)


def test_moderators_pass_the_permission_check() -> None:
    command, _ = registry().bind(call("posts", "pause", "q"), moderator=True)
    assert command.name == "posts pause"


def test_moderator_is_the_platform_admin_right_or_a_configured_role() -> None:
    assert is_moderator(Member(id="a", display_name="A", is_admin=True), ())
    assert is_moderator(Member(id="b", display_name="B", roles=frozenset({"r1", "r2"})), ("r2",))
    assert not is_moderator(Member(id="c", display_name="C", roles=frozenset({"r1"})), ("r2",))


def test_declaring_a_command_twice_is_refused() -> None:
    commands = registry()
    with pytest.raises(ValueError, match="declared twice"):
        commands.register(Command(group="game", action="trivia", handler=nothing))


def test_a_group_alone_is_the_help_of_that_group() -> None:
    command, options = registry().bind(call("game", ""), moderator=False)
    assert (command.group, options) == ("help", {"topic": "game"})
    assert problem(call("dance", "")).key == "messages.commands.unknown_group"
