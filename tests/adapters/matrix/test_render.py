"""Posts as Matrix message content: HTML escaped, mentions only as meant, choices as keycaps."""

from __future__ import annotations

import pytest

from adapters.matrix.render import CHOICES_KEY, KEYCAPS, NONCE_KEY, choice_number, edit, render
from adapters.matrix.translate import command_source, command_text
from bot.domain import (
    ChannelMention,
    Choice,
    Link,
    Mention,
    Post,
    link_marker,
    literal,
    mention_marker,
)

pytestmark = pytest.mark.matrix

KEY = "matrix:!space"


def test_member_text_is_escaped_and_mentions_nobody() -> None:
    hostile = '<b>x</b> @room **y** <a href="https://evil.example">z</a> [l](https://e.x)'
    content = render(Post(text=f"Question: {literal(hostile)}"), community=KEY)
    assert content["body"] == f"Question: {hostile}"
    html = content["formatted_body"]
    assert "<b>" not in html and "<a " not in html and "<strong>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "**y**" in html
    assert content["m.mentions"] == {"user_ids": []}


def test_a_link_the_core_built_is_a_link_and_member_text_is_not() -> None:
    post = Post(
        text=f"Join: {link_marker(0)} {literal('https://evil.example')}",
        links=(Link(url="https://discord.gg/abc123"),),
    )
    html = render(post, community=KEY)["formatted_body"]
    assert html.count("<a ") == 1
    assert '<a href="https://discord.gg/abc123">https://discord.gg/abc123</a>' in html


def test_only_the_posts_mentions_are_mentioned_as_pills() -> None:
    post = Post(
        text=f"Welcome {mention_marker(0)}! **Say hi** in {literal('@room @bob:x')}",
        mentions=(Mention(member_id="@alice:example.org", display_name="<Alice>"),),
    )
    content = render(post, community=KEY, nonce="n1")
    assert content["m.mentions"] == {"user_ids": ["@alice:example.org"]}
    html = content["formatted_body"]
    assert '<a href="https://matrix.to/#/@alice:example.org">@&lt;Alice&gt;</a>' in html
    assert "<strong>Say hi</strong>" in html
    assert html.count("matrix.to") == 1
    assert content[NONCE_KEY] == "n1"


def test_styles_quotes_channels_and_template_links() -> None:
    post = Post(
        text="> quoted\n\n*it* ~~no~~ `code` [site](https://terreau.example) in #\ue0060\ue007",
        channels=(ChannelMention(channel_id="!room:example.org", name="general"),),
    )
    html = render(post, community=KEY)["formatted_body"]
    assert html.startswith("<blockquote>quoted</blockquote>")
    assert "<em>it</em>" in html and "<del>no</del>" in html and "<code>code</code>" in html
    assert '<a href="https://terreau.example">site</a>' in html
    assert '<a href="https://matrix.to/#/!room:example.org">#general</a>' in html


def test_choices_are_numbered_keycaps_carrying_their_ids() -> None:
    post = Post(
        text="Pick one",
        choices=(Choice(id="game:p1:0", label="<yes>"), Choice(id="game:p1:1", label="no")),
    )
    content = render(post, community=KEY)
    assert content[CHOICES_KEY] == ["game:p1:0", "game:p1:1"]
    assert content["body"].endswith(f"{KEYCAPS[0]} <yes>\n{KEYCAPS[1]} no")
    assert f"{KEYCAPS[0]} &lt;yes&gt;" in content["formatted_body"]
    assert [choice_number(key) for key in (KEYCAPS[1], "2", " 11. ", "0", "two")] == [
        2,
        2,
        11,
        None,
        None,
    ]


def test_commands_show_the_prefix_but_member_text_stays_as_typed() -> None:
    post = Post(text=f"Type `/terreau help` or /terreau me; {literal('/terreau x')}")
    content = render(post, community=KEY, command="!bot")
    assert content["body"] == "Type `!bot help` or !bot me; /terreau x"


def test_an_edit_replaces_the_content_and_pings_nobody_again() -> None:
    post = Post(
        text=f"closed {mention_marker(0)}",
        mentions=(Mention(member_id="@a:x", display_name="A"),),
    )
    content = edit("$original", render(post, community=KEY, nonce="n"))
    assert content["m.mentions"] == {}
    assert content["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$original"}
    assert content["m.new_content"]["m.mentions"] == {"user_ids": ["@a:x"]}
    assert NONCE_KEY not in content["m.new_content"]


def test_commands_are_read_after_the_prefix_with_pills_as_user_ids() -> None:
    assert command_text("!terreau game poll a", "!terreau") == "game poll a"
    assert command_text("!terreau", "!terreau") == ""
    assert command_text("!terreauX help", "!terreau") is None
    assert command_text("say !terreau help", "!terreau") is None
    pill = {
        "body": "!terreau election nominate Bob kind",
        "format": "org.matrix.custom.html",
        "formatted_body": '!terreau election nominate <a href="https://matrix.to/#/%40bob%3Ax.org">'
        "Bob</a> kind &amp; fair",
    }
    assert command_source(pill) == "!terreau election nominate @bob:x.org kind & fair"
