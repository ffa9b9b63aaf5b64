"""The `/terreau <group> <action>` command tree: declaration, binding, permission.

Features declare their commands here; adapters only deliver `CommandInvoked`
events. Permission is decided by the core on every call, from the member the
platform reported and the community's configured moderator roles.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.command_line import Word, rest_of, split_words, words_of
from bot.domain import CommandInvoked, Member

if TYPE_CHECKING:
    from bot.config import CommunityConfig


class Permission(enum.Enum):
    """Who may run a command."""

    MEMBER = "member"
    MODERATOR = "moderator"


class OptionKind(enum.Enum):
    """How an option's words are read."""

    TEXT = "text"
    INTEGER = "integer"
    MEMBER = "member"
    CHOICE = "choice"


@dataclass(frozen=True, kw_only=True, slots=True)
class Option:
    """One option of a command.

    `rest` makes it free text taking the rest of the line as typed (the last
    option only); `phrase` marks free text followed by other options, which
    must be quoted when it has several words, and its usage shows the quotes.
    """

    name: str
    kind: OptionKind = OptionKind.TEXT
    required: bool = True
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    rest: bool = False
    phrase: bool = False

    def usage(self) -> str:
        """Return `<name>` (required) or `[name]` (optional), in quotes for a phrase."""
        shown = f"<{self.name}>" if self.required else f"[{self.name}]"
        return f'"{shown}"' if self.phrase else shown


@dataclass(frozen=True, kw_only=True, slots=True)
class CommandContext:
    """What a command handler receives: the call, its bound options, and how to answer."""

    event: CommandInvoked
    options: Mapping[str, Any]
    reply: Callable[..., Awaitable[None]]


CommandHandler = Callable[[CommandContext], Awaitable[None]]


@dataclass(frozen=True, kw_only=True, slots=True)
class Command:
    """A declared `/terreau <group> <action>` command."""

    group: str
    action: str
    handler: CommandHandler
    options: tuple[Option, ...] = ()
    permission: Permission = Permission.MEMBER

    @property
    def name(self) -> str:
        """Return `group action`."""
        return f"{self.group} {self.action}".strip()

    def usage(self) -> str:
        """Return the usage line, e.g. `/terreau posts now <ritual>`."""
        words = ["/terreau", self.group, self.action, *(o.usage() for o in self.options)]
        return " ".join(word for word in words if word)


HELP_GROUP = "help"
"""The group whose one command lists the others: `/terreau help [group]`."""


class Refusal(Exception):
    """A feature's rule said no; `key` (the subclass's `prefix` + `reason`) names the prompt."""

    prefix = ""

    def __init__(self, reason: str, **variables: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = f"{self.prefix}{reason}"
        self.variables = variables


FeatureHandler = Callable[[CommandContext, "CommunityConfig"], Awaitable[None]]


def guarded(
    communities: Mapping[str, CommunityConfig],
    enabled: Callable[[CommunityConfig], bool],
    refusal: type[Refusal],
    handler: FeatureHandler,
    *,
    before: Callable[[str], Awaitable[object]] | None = None,
) -> CommandHandler:
    """Wrap a feature's command handler with the checks every feature repeats.

    The command is refused (`<prefix>disabled`) while the feature is off,
    `before(community key)` runs first (a feature catching up on its phases), and a
    `refusal` raised is answered privately with its prompt.
    """

    async def run(ctx: CommandContext) -> None:
        community = communities[ctx.event.community]
        try:
            if not enabled(community):
                raise refusal("disabled")
            if before is not None:
                await before(community.key)
            await handler(ctx, community)
        except refusal as refused:
            await ctx.reply(refused.key, **refused.variables)

    return run


class CommandProblem(Exception):
    """A call that cannot run; `key` names the message in prompts/ that explains why."""

    def __init__(
        self, *, key: str, variables: Mapping[str, object] | None = None, group: str | None = None
    ) -> None:
        super().__init__(key)
        self.key = key
        self.variables = dict(variables or {})
        self.group = group


_MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>$")


def member_reference(word: str) -> str:
    """Return the member id in `@name`, `<@U123>`, `<@U123|name>` or a bare id."""
    match = _MENTION.match(word)
    if match:
        return match.group(1)
    return word.removeprefix("@")


def is_moderator(member: Member, moderator_roles: Sequence[str]) -> bool:
    """Return whether the platform or the configured roles make `member` a moderator."""
    return member.is_admin or not member.roles.isdisjoint(moderator_roles)


class CommandRegistry:
    """Every command features declared, and the binding of a call to one of them."""

    def __init__(self) -> None:
        self._commands: dict[tuple[str, str], Command] = {}

    def register(self, command: Command) -> None:
        """Declare a command; declaring the same name twice is a programming error."""
        key = (command.group, command.action)
        if key in self._commands:
            raise ValueError(f"command /terreau {command.name} is declared twice")
        self._commands[key] = command

    def __iter__(self) -> Iterator[Command]:
        return iter(sorted(self._commands.values(), key=lambda c: (c.group, c.action)))

    def groups(self) -> list[str]:
        """Return the groups that have at least one command, sorted."""
        return sorted({command.group for command in self._commands.values()})

    def in_group(self, group: str) -> list[Command]:
        """Return the commands of `group`, sorted by action."""
        return [command for command in self if command.group == group]

    def bind(self, event: CommandInvoked, *, moderator: bool) -> tuple[Command, dict[str, Any]]:
        """Resolve a call to its command and typed options, or raise `CommandProblem`."""
        command = self._commands.get((event.group, event.action))
        # The action word is the first word; a group-level command reads it as an option.
        skip = 1 if command is not None and event.action else 0
        if command is None and (event.group, "") in self._commands:
            command = self._commands[(event.group, "")]
        if command is None and not event.action and event.group in self.groups():
            # `/terreau game` alone: the group's commands, as `/terreau help game` lists them.
            help_command = self._commands.get((HELP_GROUP, ""))
            if help_command is not None:
                return help_command, _bind_words(help_command, *words_of((event.group,)))
        if command is None:
            if event.group in self.groups():
                raise CommandProblem(
                    key="messages.commands.unknown_action",
                    variables={"group": event.group, "action": event.action},
                    group=event.group,
                )
            raise CommandProblem(
                key="messages.commands.unknown_group", variables={"group": event.group}
            )
        if command.permission is Permission.MODERATOR and not moderator:
            raise CommandProblem(
                key="messages.commands.moderators_only",
                variables={"command": command.usage()},
            )
        if event.options:
            return command, _bind_named(command, event.options)
        if event.text is not None:
            text, words = event.text, split_words(event.text)
        else:
            text, words = words_of((event.action, *event.args) if event.action else event.args)
        if event.text is not None:
            _check_quoted(command, words[skip:])
        return command, _bind_words(command, text, words[skip:])


def _check_quoted(command: Command, words: Sequence[Word]) -> None:
    """Refuse a typed line whose several phrases were all typed without quotes.

    Without quotes each phrase takes one word, so `a name for my bakery` would
    become a one-word problem and shift every option after it. One quoted phrase
    shows the member knows the grammar, and a command with a single phrase may
    take one unquoted word.
    """
    phrases = [i for i, option in enumerate(command.options) if option.phrase]
    given = [words[i] for i in phrases if i < len(words)]
    if len(given) < 2 or any(word.quoted for word in given):
        return
    raise CommandProblem(
        key="messages.commands.unquoted_phrases",
        variables={
            "usage": command.usage(),
            "options": [command.options[i].name for i in phrases],
        },
        group=command.group,
    )


def _bind_words(command: Command, text: str, words: Sequence[Word]) -> dict[str, Any]:
    """Bind words to options in order; a `rest` option takes the rest of the line as typed."""
    values: dict[str, Any] = {}
    index = 0
    for option in command.options:
        if index >= len(words):
            break
        if option.rest:
            values[option.name] = rest_of(text, words, index)
            index = len(words)
        else:
            values[option.name] = words[index].value
            index += 1
    if index < len(words):
        raise CommandProblem(
            key="messages.commands.too_many_words",
            variables={"usage": command.usage(), "extra": rest_of(text, words, index)},
            group=command.group,
        )
    return _convert(command, values)


def _bind_named(command: Command, given: Mapping[str, str]) -> dict[str, Any]:
    known = {option.name for option in command.options}
    unknown = sorted(set(given) - known)
    if unknown:
        raise CommandProblem(
            key="messages.commands.unknown_option",
            variables={"usage": command.usage(), "option": unknown[0]},
            group=command.group,
        )
    return _convert(command, dict(given))


def _convert(command: Command, raw: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for option in command.options:
        word = raw.get(option.name, "").strip()
        if not word:
            if option.required:
                raise CommandProblem(
                    key="messages.commands.missing_option",
                    variables={"usage": command.usage(), "option": option.name},
                    group=command.group,
                )
            values[option.name] = None
            continue
        values[option.name] = _read(command, option, word)
    return values


def _read(command: Command, option: Option, word: str) -> object:
    if option.kind is OptionKind.INTEGER:
        try:
            number = int(word)
        except ValueError:
            number = None
        low = option.minimum if option.minimum is not None else -(2**63)
        high = option.maximum if option.maximum is not None else 2**63
        if number is None or not low <= number <= high:
            raise CommandProblem(
                key="messages.commands.bad_integer",
                variables={
                    "usage": command.usage(),
                    "option": option.name,
                    "value": word,
                    "minimum": option.minimum,
                    "maximum": option.maximum,
                },
                group=command.group,
            ) from None
        return number
    if option.kind is OptionKind.MEMBER:
        return member_reference(word)
    if option.kind is OptionKind.CHOICE and word.lower() not in option.choices:
        raise CommandProblem(
            key="messages.commands.bad_choice",
            variables={
                "usage": command.usage(),
                "option": option.name,
                "value": word,
                "choices": ", ".join(option.choices),
            },
            group=command.group,
        )
    return word.lower() if option.kind is OptionKind.CHOICE else word
