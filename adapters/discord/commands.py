"""The `/terreau` app command tree, built from whatever the core's registry declares.

Nothing here names a feature: each registry group becomes a subcommand group
(or a subcommand when its only action is the empty one, like `help`), and each
`Option` becomes a typed Discord option. Descriptions come from
`prompts/<lang>/commands.toml`; `PromptTranslator` gives Discord the French ones.
Permission is never left to Discord: the core checks it on every call.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.commands import Command, CommandRegistry, Option, OptionKind
from bot.prompts import Catalog, Prompts

log = logging.getLogger(__name__)


class CommandReceiver(Protocol):
    """The client as a command callback sees it (`interaction.client`)."""

    async def command_invoked(
        self,
        interaction: discord.Interaction[Any],
        group: str,
        action: str,
        options: Mapping[str, str],
    ) -> None:
        """Deliver a `/terreau` call to the core."""


ROOT = "terreau"
MAX_DESCRIPTION = 100
MAX_CHOICES = 25
LANGUAGES = {discord.Locale.french: "fr"}


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


class PromptTranslator(app_commands.Translator):
    """Command and option descriptions in the member's language, from prompts/."""

    def __init__(self, prompts: Prompts) -> None:
        self._catalogs = {
            locale: prompts.catalog(language)
            for locale, language in LANGUAGES.items()
            if language in prompts.languages
        }

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """Return the description in `locale`, or None to keep the English one."""
        catalog = self._catalogs.get(locale)
        key = string.extras.get("key")
        if catalog is None or not key or not catalog.has(key):
            return None
        return _short(catalog.text(key))


def _describe(catalog: Catalog, key: str, fallback: str) -> app_commands.locale_str:
    text = catalog.text(key) if catalog.has(key) else fallback
    return app_commands.locale_str(_short(text), key=key)


def _annotation(option: Option) -> Any:
    if option.kind is OptionKind.INTEGER:
        if option.minimum is None and option.maximum is None:
            return int
        return app_commands.Range[int, option.minimum, option.maximum]
    if option.kind is OptionKind.MEMBER:
        return discord.Member
    return str


def _callback(command: Command, catalog: Catalog, prefix: str) -> Callable[..., Any]:
    names = {f"p{index}": option.name for index, option in enumerate(command.options)}

    async def callback(interaction: discord.Interaction[Any], **values: Any) -> None:
        options = {
            names[python]: _as_word(value) for python, value in values.items() if value is not None
        }
        client: CommandReceiver = interaction.client
        await client.command_invoked(interaction, command.group, command.action, options)

    parameters = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    descriptions: dict[str, app_commands.locale_str] = {}
    renames: dict[str, str] = {}
    choices: dict[str, list[app_commands.Choice[str]]] = {}
    for python, option in zip(names, command.options, strict=True):
        parameters.append(
            inspect.Parameter(
                python,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(option),
                default=inspect.Parameter.empty if option.required else None,
            )
        )
        renames[python] = option.name
        descriptions[python] = _describe(catalog, f"{prefix}.options.{option.name}", option.usage())
        if option.kind is OptionKind.CHOICE and option.choices:
            choices[python] = [
                app_commands.Choice(name=choice, value=choice)
                for choice in option.choices[:MAX_CHOICES]
            ]
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = descriptions  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_rename__ = renames  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_choices__ = choices  # type: ignore[attr-defined]
    return callback


def _as_word(value: object) -> str:
    if isinstance(value, discord.abc.Snowflake):
        return str(value.id)
    return str(value)


def _command(
    command: Command, catalog: Catalog, name: str, prefix: str
) -> app_commands.Command[Any, ..., Any]:
    return app_commands.Command(
        name=name,
        description=_describe(catalog, f"{prefix}.help", command.usage()),
        callback=_callback(command, catalog, prefix),
    )


def build_tree_root(registry: CommandRegistry, catalog: Catalog) -> app_commands.Group:
    """Return the `/terreau` group with one subgroup or subcommand per registry group."""
    root = app_commands.Group(
        name=ROOT,
        description=_describe(catalog, "commands.help.help", "Terreau"),
        guild_only=True,
    )
    for group in registry.groups():
        commands = registry.in_group(group)
        bare = [command for command in commands if not command.action]
        actions = [command for command in commands if command.action]
        if bare and not actions:
            root.add_command(_command(bare[0], catalog, group, f"commands.{group}"))
            continue
        if bare:
            log.warning("/terreau %s takes actions on Discord; its bare form is left out", group)
        sub = app_commands.Group(
            name=group,
            description=_describe(catalog, f"commands.{group}.help", f"/terreau {group}"),
            parent=root,
        )
        for command in actions:
            sub.add_command(
                _command(command, catalog, command.action, f"commands.{group}.{command.action}")
            )
    return root
