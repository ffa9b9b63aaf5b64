"""The markup of a post: templates write it, printed values never do; one parse for all."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.domain import (
    Block,
    ChannelMention,
    Link,
    Mention,
    Post,
    Span,
    post_from_dict,
    post_to_dict,
)
from bot.domain.markup import pack, plain
from bot.domain.mentions import LINK_CLOSE, LINK_OPEN, LITERAL_CLOSE, MENTION_OPEN
from bot.prompts import Catalog, Prompts

pytestmark = pytest.mark.core

HOSTILE = (
    "**x** [x](https://evil.example) <!here> @everyone <@123> # heading ``` ||spoiler|| "
    "_x_ ~x~ &amp; > quote"
)
ALICE = Mention(member_id="U1", display_name="Alice")


def catalog(tmp_path: Path, source: str) -> Catalog:
    for language in ("en", "fr"):
        folder = tmp_path / language
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "a.toml").write_text(textwrap.dedent(source), encoding="utf-8")
    return Prompts.load(tmp_path).catalog("en")


def spans(post: Post) -> list[Span]:
    return [span for block in post.blocks() for line in block.lines for span in line]


def test_template_text_is_markup_and_printed_values_are_text(tmp_path: Path) -> None:
    cat = catalog(tmp_path, 'poll = "**{{ title }}**: {{ option }} `{{ command }}`"')

    post = cat.post("a.poll", title=HOSTILE, option=HOSTILE, command="/terreau `x`")

    assert spans(post) == [
        Span(text=HOSTILE, bold=True),
        Span(text=f": {HOSTILE} "),
        Span(text="/terreau `x`", code=True),
    ]


def test_a_printed_line_break_never_starts_a_quote_or_a_heading(tmp_path: Path) -> None:
    cat = catalog(tmp_path, 'reason = "Why:\\n> {{ reason }}\\n\\nThanks"')

    post = cat.post("a.reason", reason="kind\n> not a quote\n# not a heading")

    why, quoted, thanks = post.blocks()
    assert quoted.quote and not why.quote and not thanks.quote
    assert [line[0].text for line in quoted.lines] == ["kind", "> not a quote", "# not a heading"]
    assert all(not span.bold for line in quoted.lines for span in line)


@dataclass(frozen=True)
class Row:
    name: str


def test_marker_characters_in_an_attribute_cannot_end_a_literal_run(tmp_path: Path) -> None:
    cat = catalog(tmp_path, 'row = "{{ row.name }}"')
    forged = f"x{LITERAL_CLOSE}**bold**{MENTION_OPEN}0\ue001"

    post = cat.post("a.row", row=Row(name=forged), who=ALICE)

    assert spans(post) == [Span(text="x**bold**0")]
    assert post.mentions == ()


def test_a_rendered_post_as_a_variable_keeps_its_markup_and_mentions(tmp_path: Path) -> None:
    cat = catalog(
        tmp_path,
        """
        inner = "**{{ who }}** wrote `{{ what }}`"
        outer = "Said: {{ said }} / {{ said ~ '' }}"
        """,
    )
    inner = cat.post("a.inner", who=ALICE, what="**no**")

    post = cat.post("a.outer", said=inner)

    assert post.mentions == (ALICE,)
    said = spans(post)
    assert Span(text="@Alice", bold=True, mention=ALICE) in said
    assert Span(text="**no**", code=True) in said
    # Joined into a string, the fragment is only text: its markup is shown, never read.
    assert said[-1].text.endswith("`**no**`") and not said[-1].bold and not said[-1].code


def test_a_link_is_a_link_only_when_the_template_wrote_its_address(tmp_path: Path) -> None:
    cat = catalog(tmp_path, 'links = "[docs](https://example.org) [site]({{ url }})"')

    post = cat.post("a.links", url="https://evil.example")

    assert spans(post) == [
        Span(text="docs", link="https://example.org"),
        Span(text=" site (https://evil.example)"),
    ]


def test_a_link_the_core_built_is_live_and_member_text_beside_it_stays_text(
    tmp_path: Path,
) -> None:
    cat = catalog(tmp_path, 'invite = "Your link: {{ link }} from {{ who }}. {{ label }}"')
    invite = Link(url="https://discord.gg/abc123")

    post = cat.post("a.invite", link=invite, who=HOSTILE, label=Link(url=invite.url, label=HOSTILE))

    assert post.links == (invite, Link(url=invite.url, label=HOSTILE))
    assert spans(post) == [
        Span(text="Your link: "),
        Span(text=invite.url, link=invite.url),
        Span(text=f" from {HOSTILE}. "),
        Span(text=HOSTILE, link=invite.url),
    ]
    assert post_from_dict(post_to_dict(post)) == post


def test_member_text_cannot_forge_a_link_marker(tmp_path: Path) -> None:
    cat = catalog(tmp_path, 'said = "{{ said }}"')
    forged = f"{LINK_OPEN}0{LINK_CLOSE} https://evil.example"

    post = cat.post("a.said", said=forged, unused=Link(url="https://discord.gg/abc"))

    assert post.links == ()
    assert spans(post) == [Span(text="0 https://evil.example")]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "https://x.example/a b",
        "https://x.example/<x>",
        "ftp://x",
        "",
        "https://x\ue000",
    ],
)
def test_a_link_is_only_a_plain_web_address(url: str) -> None:
    with pytest.raises(ValueError, match="not a plain"):
        Link(url=url)


def test_headings_lists_and_html_are_not_syntax(tmp_path: Path) -> None:
    cat = catalog(tmp_path, 'raw = "# one\\n1. two\\n- three\\n<b>four</b> <https://x>"')

    post = cat.post("a.raw")

    assert plain(post.blocks()) == "# one\n1. two\n- three\n<b>four</b> <https://x>"


def test_plain_text_shows_references_code_and_quotes_readably() -> None:
    post = Post(
        text="**Hi** \ue0000\ue001 in \ue0060\ue007: `/terreau help`\n\n> \ue004said\ue005",
        mentions=(ALICE,),
        channels=(ChannelMention(channel_id="C1", name="general"),),
    )

    assert post.plain_text() == "Hi @Alice in #general: `/terreau help`\n\n> said"


def block(text: str) -> Block:
    return Block(lines=tuple((Span(text=line),) for line in text.split("\n")))


def length(blocks: object) -> int:
    return len(plain(blocks))  # type: ignore[arg-type]


def test_pack_breaks_between_paragraphs_first() -> None:
    paragraphs = [block("a" * 40), block("b" * 40), block("c" * 40)]

    messages = pack(paragraphs, length, 90)

    assert messages == [(paragraphs[0], paragraphs[1]), (paragraphs[2],)]


def test_pack_breaks_a_long_paragraph_between_lines_then_words_and_loses_nothing() -> None:
    long_paragraph = block("\n".join(["word " * 10] * 6))
    one_long_line = block("x" * 250)

    messages = pack([long_paragraph, one_long_line], length, 120)

    assert all(length(message) <= 120 for message in messages)
    shown = "".join(
        span.text for message in messages for b in message for line in b.lines for span in line
    )
    assert shown == ("word " * 10) * 6 + "x" * 250


def test_a_post_followed_by_another_keeps_what_each_names(tmp_path: Path) -> None:
    cat = catalog(
        tmp_path,
        """
        first = "{{ who }} in {{ where }}: {{ link }}"
        second = "Hosted by {{ host }}, see {{ link }} and {{ where }}"
        """,
    )
    general = ChannelMention(channel_id="C1", name="general")
    first = cat.post("a.first", who=ALICE, where=general, link=Link(url="https://a.example"))
    bob = Mention(member_id="U2", display_name="Bob")
    rust = ChannelMention(channel_id="C2", name="rust")
    second = cat.post("a.second", host=bob, link=Link(url="https://b.example"), where=rust)

    both = first.followed_by(second)

    named = [s for s in both.segments() if not isinstance(s, str)]
    assert named == [
        ALICE,
        general,
        Link(url="https://a.example"),
        bob,
        Link(url="https://b.example"),
        rust,
    ]
