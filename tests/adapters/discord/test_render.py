"""Posts as Discord message parts, choices as persistent components, errors as port errors."""

from __future__ import annotations

from types import SimpleNamespace

import discord
import pytest

from adapters.discord._client import intents_for, shard_of
from adapters.discord._errors import platform_error
from adapters.discord.render import MAX_CONTENT, discord_nonce, render
from adapters.discord.views import ChoiceButton, ChoiceSelect
from bot.config import DiscordSettings
from bot.domain import (
    ChannelMention,
    Choice,
    Link,
    Mention,
    Post,
    channel_marker,
    link_marker,
    literal,
    mention_marker,
)
from bot.ports import Forbidden, NotFound, PlatformError, RateLimited, Unavailable, Unsupported

pytestmark = pytest.mark.discord


def test_a_link_the_core_built_is_live_and_member_text_is_not() -> None:
    post = Post(
        text=(
            f"{link_marker(0)} {link_marker(1)} {link_marker(2)} "
            + literal("https://evil.example [x](https://evil.example)")
        ),
        links=(
            Link(url="https://discord.gg/abc123"),
            Link(url="https://x.example/a_(b).", label="the *guide*"),
            Link(url="https://x.example/a_(b)."),
        ),
    )

    [rendered] = render(post)

    assert rendered.content == (
        "https://discord.gg/abc123 [the \\*guide\\*](https://x.example/a_(b%29.) "
        "<https://x.example/a_(b%29.> "
        "https\\://evil.example \\[x\\](https\\://evil.example)"
    )


def test_only_the_chosen_members_can_be_pinged() -> None:
    post = Post(
        text=f"Welcome {mention_marker(0)} and {mention_marker(1)}! @here <@123456789012345678>",
        mentions=(
            Mention(member_id="1170000000000000011", display_name="Alice"),
            Mention(member_id="console-bob", display_name="Bob"),
        ),
    )

    [rendered] = render(post)

    assert rendered.content == (
        "Welcome <@1170000000000000011> and @Bob! @\u200bhere \\<@\u200b123456789012345678>"
    )
    payload = rendered.allowed_mentions.to_dict()
    assert payload["parse"] == []
    assert [int(u) for u in payload["users"]] == [1170000000000000011]
    assert "roles" not in payload and not rendered.allowed_mentions.everyone


def test_the_markup_subset_becomes_discord_markdown() -> None:
    post = Post(
        text=(
            "**Question 1/2** (_easy_) ~~old~~ `/terreau help` [docs](https://example.org)\n"
            f"in {channel_marker(0)}\n\n> quoted"
        ),
        channels=(ChannelMention(channel_id="1180000000000000001", name="general"),),
    )

    [rendered] = render(post)

    assert rendered.content == (
        "**Question 1/2** (*easy*) ~~old~~ `/terreau help` [docs](https://example.org)\n"
        "in <#1180000000000000001>\n\n> quoted"
    )


def test_literal_text_is_escaped_and_never_a_link_or_mention() -> None:
    hostile = "**x** [x](https://evil.example) <#1180000000000000001> ||s|| _x_ ~x~ `c`"
    post = Post(text=f"Option: {literal(hostile)}\n{literal('# heading')}")

    [rendered] = render(post)

    assert rendered.content == (
        "Option: \\*\\*x\\*\\* \\[x\\](https\\://evil.example) \\<#1180000000000000001> "
        "\\|\\|s\\|\\| \\_x\\_ \\~x\\~ \\`c\\`\n\\# heading"
    )


def test_long_posts_are_split_between_paragraphs_and_never_cut() -> None:
    paragraphs = [f"**Paragraph {i}**\n" + "word " * 60 for i in range(20)]
    post = Post(text="\n\n".join(paragraphs), choices=(Choice(id="poll:1:a", label="A"),))

    parts = render(post)

    assert len(parts) > 1
    assert all(len(part.content) <= MAX_CONTENT for part in parts)
    assert all(part.content.startswith("**Paragraph ") for part in parts)
    assert "\n\n".join(part.content for part in parts) == "\n\n".join(
        p.rstrip() for p in paragraphs
    )
    assert [part.view is not None for part in parts] == [False] * (len(parts) - 1) + [True]


def test_a_line_longer_than_a_message_is_split_between_words() -> None:
    parts = render(Post(text="a" * 2500))

    assert [len(part.content) for part in parts] == [2000, 500]


def test_nonces_are_stable_and_short() -> None:
    long = "posts:discord:1187654321098765432:question:2026-11-23T08:00:00+00:00"

    assert discord_nonce(long) == discord_nonce(long)
    assert len(discord_nonce(long)) == 25
    assert discord_nonce(long) != discord_nonce(long + "x")


async def test_a_few_choices_are_buttons_whose_ids_are_the_choice_ids() -> None:
    post = Post(
        text="?", choices=(Choice(id="poll:1:a", label="A"), Choice(id="poll:1:b", label="B"))
    )

    view = render(post)[-1].view

    assert view is not None and view.timeout is None and view.is_finished()
    assert all(isinstance(item, ChoiceButton) for item in view.children)
    [row] = view.to_components()
    assert [c["custom_id"] for c in row["components"]] == ["poll:1:a", "poll:1:b"]


async def test_many_choices_are_a_menu() -> None:
    choices = tuple(Choice(id=f"vote:3:{i}", label="x" * 120) for i in range(20))

    view = render(Post(text="?", choices=choices))[-1].view

    assert view is not None
    [menu] = view.children
    assert isinstance(menu, ChoiceSelect)
    [row] = view.to_components()
    options = row["components"][0]["options"]
    assert [o["value"] for o in options] == [c.id for c in choices]
    assert all(len(o["label"]) == 80 for o in options)


async def test_choices_discord_cannot_carry_are_unsupported() -> None:
    too_many = tuple(Choice(id=f"vote:3:{i}", label="x") for i in range(26))
    with pytest.raises(Unsupported):
        render(Post(text="?", choices=too_many))
    with pytest.raises(Unsupported):
        render(Post(text="?", choices=(Choice(id="no-colons", label="x"),)))
    with pytest.raises(Unsupported):
        render(Post(text="?", choices=(Choice(id="poll:1:" + "x" * 100, label="x"),)))


def test_button_template_does_not_swallow_menus() -> None:
    button = ChoiceButton.__discord_ui_compiled_template__
    menu = ChoiceSelect.__discord_ui_compiled_template__

    assert button.fullmatch("poll:42:yes") and not button.fullmatch("terreau-select/0")
    assert menu.fullmatch("terreau-select/0") and not menu.fullmatch("poll:42:yes")


def _http_error(kind: type[discord.HTTPException], status: int, code: int) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="x", headers={"Retry-After": "3"})
    return kind(response, {"code": code, "message": "nope"})


def test_discord_errors_become_port_errors() -> None:
    dms = platform_error(_http_error(discord.Forbidden, 403, 50007))
    missing = platform_error(_http_error(discord.Forbidden, 403, 50013))
    deleted = platform_error(_http_error(discord.NotFound, 404, 10003))
    down = platform_error(_http_error(discord.DiscordServerError, 503, 0))
    slow = platform_error(_http_error(discord.HTTPException, 429, 0))
    limited = platform_error(discord.RateLimited(12.5))
    other = platform_error(_http_error(discord.HTTPException, 400, 50035))

    assert isinstance(dms, Forbidden) and "50007" in str(dms)
    assert isinstance(missing, Forbidden) and "50013" in str(missing)
    assert isinstance(deleted, NotFound) and "10003" in str(deleted)
    assert isinstance(down, Unavailable)
    assert isinstance(slow, RateLimited) and slow.retry_after == 3
    assert isinstance(limited, RateLimited) and limited.retry_after == 12.5
    assert type(other) is PlatformError


def test_intents_follow_the_config() -> None:
    plain = intents_for(DiscordSettings(members_intent=False))
    full = intents_for(DiscordSettings(message_content=True))

    assert plain.guilds and plain.guild_messages and plain.guild_reactions
    assert not plain.members and not plain.message_content and not plain.presences
    assert full.members and full.message_content and not full.presences


def test_guilds_are_split_over_shards_by_discords_formula() -> None:
    guild = 1187654321098765432

    assert shard_of(guild, 1) == 0
    assert shard_of(guild, 4) == (guild >> 22) % 4
    assert {shard_of(guild + (i << 22), 4) for i in range(4)} == {0, 1, 2, 3}
