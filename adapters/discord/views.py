"""Persistent choices: buttons and select menus that any process can route after a restart.

A button's `custom_id` is the choice id itself (`feature:object:choice`); a
select menu's options carry choice ids as values. Both are `DynamicItem`s
matched by template, so discord.py rebuilds them from the click alone, with no
view kept in memory and nothing stored per message.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol

import discord

from bot.domain import Choice, Post
from bot.ports import Unsupported

log = logging.getLogger(__name__)


class ChoiceReceiver(Protocol):
    """The client as a button or menu callback sees it (`interaction.client`)."""

    async def choice_made(self, interaction: discord.Interaction[Any], choice_id: str) -> None:
        """Deliver a click to the core."""


CHOICE_ID = re.compile(r"[^:\s]+:[^:\s]+:\S+")
MAX_CUSTOM_ID = 100
MAX_LABEL = 80
MAX_BUTTONS = 10
MAX_OPTIONS = 25
SELECT_PREFIX = "terreau-select/"


class ChoiceButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"(?P<choice>[^:\s/]+:[^:\s]+:\S+)",
):
    """A button whose custom id is a choice id."""

    def __init__(self, choice: Choice) -> None:
        super().__init__(
            discord.ui.Button(
                label=_label(choice.label),
                custom_id=choice.id,
                style=discord.ButtonStyle.secondary,
            )
        )
        self.choice_id = choice.id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ChoiceButton:
        """Rebuild the button from a click."""
        label = getattr(item, "label", None) or match["choice"]
        return cls(Choice(id=match["choice"], label=label))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the adapter as a `ChoiceMade`."""
        await _client(interaction).choice_made(interaction, self.choice_id)


class ChoiceSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"terreau-select/(?P<index>\d+)",
):
    """A select menu whose option values are choice ids (for more than a few choices)."""

    def __init__(self, choices: tuple[Choice, ...], index: int = 0) -> None:
        options = [
            discord.SelectOption(label=_label(choice.label), value=choice.id) for choice in choices
        ]
        super().__init__(
            discord.ui.Select(
                custom_id=f"{SELECT_PREFIX}{index}",
                options=options or [discord.SelectOption(label="-", value="-")],
                min_values=1,
                max_values=1,
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ChoiceSelect:
        """Rebuild the menu from a pick (the picked value is in the interaction)."""
        return cls((), int(match["index"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the picked option to the adapter as a `ChoiceMade`."""
        data: dict[str, Any] = dict(interaction.data or {})
        values: list[Any] = list(data.get("values") or [])
        if values and CHOICE_ID.fullmatch(str(values[0])):
            await _client(interaction).choice_made(interaction, str(values[0]))
        else:
            log.info("ignored a menu pick with no choice id: %r", values)
            await interaction.response.defer()


def build_view(post: Post) -> discord.ui.View | None:
    """Return the persistent view for a post's choices, or None when it has none."""
    if not post.choices:
        return None
    for choice in post.choices:
        if len(choice.id) > MAX_CUSTOM_ID or not CHOICE_ID.fullmatch(choice.id):
            raise Unsupported(f"choice id {choice.id!r} does not fit a Discord custom id")
    if len(post.choices) > MAX_OPTIONS:
        raise Unsupported(f"{len(post.choices)} choices: a Discord menu holds {MAX_OPTIONS}")
    view = discord.ui.View(timeout=None)
    if len(post.choices) <= MAX_BUTTONS:
        for choice in post.choices:
            view.add_item(ChoiceButton(choice))
    else:
        view.add_item(ChoiceSelect(post.choices))
    # A finished view is sent but not kept per message: clicks are routed by the
    # registered DynamicItem templates, so memory stays flat however much is posted.
    view.stop()
    return view


def _label(text: str) -> str:
    text = text.strip() or "-"
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _client(interaction: discord.Interaction[Any]) -> ChoiceReceiver:
    client: ChoiceReceiver = interaction.client
    return client
