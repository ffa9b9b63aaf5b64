"""The `/terreau` tree comes from the core's registry alone, descriptions from prompts/."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord import app_commands

from adapters.discord.commands import PromptTranslator, build_tree_root
from bot.commands import Command, CommandContext, CommandRegistry, Option, OptionKind, Permission
from bot.prompts import Prompts
from tests.adapters.discord.conftest import PROMPTS_DIR

pytestmark = pytest.mark.discord

PROMPTS = Prompts.load(PROMPTS_DIR)


async def _nothing(ctx: CommandContext) -> None:
    return None


def _registry() -> CommandRegistry:
    registry = CommandRegistry()
    registry.register(
        Command(
            group="help",
            action="",
            handler=_nothing,
            options=(Option(name="topic", required=False),),
        )
    )
    registry.register(
        Command(
            group="game",
            action="trivia",
            handler=_nothing,
            options=(
                Option(
                    name="category",
                    required=False,
                    kind=OptionKind.CHOICE,
                    choices=("science", "art"),
                ),
                Option(
                    name="questions", required=False, kind=OptionKind.INTEGER, minimum=1, maximum=20
                ),
            ),
        )
    )
    registry.register(
        Command(
            group="election",
            action="nominate",
            handler=_nothing,
            options=(
                Option(name="member", kind=OptionKind.MEMBER),
                Option(name="reason", rest=True),
            ),
        )
    )
    registry.register(
        Command(group="election", action="close", handler=_nothing, permission=Permission.MODERATOR)
    )
    registry.register(Command(group="zzz", action="new", handler=_nothing))
    return registry


async def _payload() -> dict[str, Any]:
    root = build_tree_root(_registry(), PROMPTS.catalog("en"))
    client = discord.Client(intents=discord.Intents.none())
    tree = app_commands.CommandTree(client)
    await tree.set_translator(PromptTranslator(PROMPTS))
    payload: dict[str, Any] = await root.get_translated_payload(tree, tree.translator)  # type: ignore[arg-type]
    return payload


def _children(node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {option["name"]: option for option in node.get("options", [])}


async def test_every_group_of_the_registry_becomes_part_of_the_tree() -> None:
    root = await _payload()

    assert root["name"] == "terreau"
    groups = _children(root)
    assert set(groups) == {"help", "game", "election", "zzz"}
    assert groups["help"]["type"] == 1  # a subcommand: `help` takes no action word
    assert groups["game"]["type"] == 2 and set(_children(groups["election"])) == {
        "nominate",
        "close",
    }


async def test_options_are_typed() -> None:
    groups = _children(await _payload())
    trivia = _children(_children(groups["game"])["trivia"])
    nominate = _children(_children(groups["election"])["nominate"])

    assert trivia["category"]["type"] == 3
    assert [c["value"] for c in trivia["category"]["choices"]] == ["science", "art"]
    assert trivia["questions"]["type"] == 4
    assert (trivia["questions"]["min_value"], trivia["questions"]["max_value"]) == (1, 20)
    assert not trivia["questions"]["required"]
    assert nominate["member"]["type"] == 6 and nominate["member"]["required"]
    assert nominate["reason"]["type"] == 3


async def test_descriptions_come_from_prompts_with_french_translations() -> None:
    groups = _children(await _payload())
    nominate = _children(groups["election"])["nominate"]
    reason = _children(nominate)["reason"]

    assert nominate["description"] == PROMPTS.catalog("en").text("commands.election.nominate.help")
    assert nominate["description_localizations"]["fr"] != nominate["description"]
    assert reason["description_localizations"]["fr"]
    # A group no prompt describes yet still gets a description: its usage.
    new = _children(groups["zzz"])["new"]
    assert new["description"] == "/terreau zzz new"
    assert not new.get("description_localizations")
    assert all(len(c["description"]) <= 100 for c in groups.values())
