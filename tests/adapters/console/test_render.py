"""Rendering posts and member messages as terminal text."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from adapters.console.render import (
    Frame,
    format_when,
    render_echo,
    render_error,
    render_member_message,
    render_number,
    render_post,
    render_thread_opened,
)
from bot.domain import (
    ChannelMention,
    Choice,
    Mention,
    Post,
    channel_marker,
    literal,
    mention_marker,
)

pytestmark = pytest.mark.console

PARIS = ZoneInfo("Europe/Paris")
MONDAY_8_UTC = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # Mon 09:00 in Paris (CET)


def frame(**changes: object) -> Frame:
    values: dict[str, object] = {
        "number": 12,
        "when": MONDAY_8_UTC,
        "tz": PARIS,
        "author": "Terreau",
        "channel_id": "general",
    }
    values.update(changes)
    return Frame(**values)  # type: ignore[arg-type]


def test_time_is_shown_in_the_community_time_zone() -> None:
    assert format_when(MONDAY_8_UTC, PARIS) == "Mon 09:00"
    assert format_when(MONDAY_8_UTC, ZoneInfo("America/New_York")) == "Mon 03:00"
    # After the switch to summer time, 07:00 UTC is 09:00 in Paris.
    assert format_when(datetime(2025, 3, 31, 7, 0, tzinfo=UTC), PARIS) == "Mon 09:00"
    assert format_when(datetime(2025, 3, 30, 22, 30, tzinfo=UTC), PARIS) == "Mon 00:30"


def test_a_plain_post() -> None:
    assert render_post(Post(text="Good morning!"), frame()) == (
        "#12 [Mon 09:00 #general] Terreau: Good morning!"
    )


def test_mentions_come_from_the_post_not_the_text() -> None:
    post = Post(
        text=f"Welcome {mention_marker(0)} and {mention_marker(1)}! (cc @everyone)",
        mentions=(
            Mention(member_id="U1", display_name="alice"),
            Mention(member_id="U2", display_name="bob"),
        ),
    )
    assert render_post(post, frame()) == (
        "#12 [Mon 09:00 #general] Terreau: Welcome @alice and @bob! (cc @everyone)"
    )


def test_choices_are_numbered_under_the_text() -> None:
    post = Post(
        text="Coffee or tea?",
        choices=(Choice(id="poll:1:coffee", label="Coffee"), Choice(id="poll:1:tea", label="Tea")),
    )
    assert render_post(post, frame()) == (
        "#12 [Mon 09:00 #general] Terreau: Coffee or tea?\n  [1] Coffee   [2] Tea"
    )


def test_many_choices_wrap() -> None:
    choices = tuple(Choice(id=f"poll:1:{n}", label=f"option number {n:02}") for n in range(1, 9))
    lines = render_post(Post(text="Pick", choices=choices), frame()).split("\n")
    assert len(lines) > 2
    assert all(len(line) <= 100 for line in lines)
    assert lines[1].startswith("  [1] option number 01   [2] option number 02")
    assert "[8] option number 08" in lines[-1]


def test_private_response() -> None:
    rendered = render_post(Post(text="Your vote is in."), frame(private_to="alice"))
    assert rendered == "#12 [Mon 09:00 #general] (only alice sees) Terreau: Your vote is in."


def test_direct_message_has_no_channel() -> None:
    rendered = render_post(Post(text="Welcome!"), frame(channel_id="dm-bob", direct_to="bob"))
    assert rendered == "#12 [Mon 09:00] (DM to bob) Terreau: Welcome!"


def test_updates_are_marked_edited() -> None:
    assert render_post(Post(text="Poll closed."), frame(edited=True)) == (
        "#12 (edited) [Mon 09:00 #general] Terreau: Poll closed."
    )


def test_thread_posts_are_indented() -> None:
    post = Post(text="In the thread\nsecond line", choices=(Choice(id="a:b:c", label="Ok"),))
    assert render_post(post, frame(number=15, thread_of="12")) == (
        "  ↳ #15 [Mon 09:00 #general › #12] Terreau: In the thread\n"
        "        second line\n"
        "      [1] Ok"
    )


def test_images_and_multiline_text() -> None:
    post = Post(text="Line one\nLine two", image_path="prompts/img/garden.png")
    assert render_post(post, frame()) == (
        "#12 [Mon 09:00 #general] Terreau: Line one\n"
        "    Line two\n"
        "    [image: prompts/img/garden.png]"
    )


def test_member_text_renders_literally() -> None:
    text = "hey @everyone \ue0000\ue001 <@U1> look"
    rendered = render_member_message(text, frame(number=3, author="alice"))
    assert rendered == f"#3 [Mon 09:00 #general] alice: {text}"


def test_a_member_reply() -> None:
    rendered = render_member_message("me too", frame(number=13, author="bob", reply_to="12"))
    assert rendered == "#13 [Mon 09:00 #general] bob (reply to #12): me too"


def test_control_characters_cannot_drive_the_terminal() -> None:
    rendered = render_member_message("red \x1b[31malert\x07", frame(author="eve"))
    assert "\x1b" not in rendered
    assert "\x07" not in rendered
    assert rendered.endswith("red \ufffd[31malert\ufffd")


def test_small_lines() -> None:
    echo = render_echo("alice> /react 12 👍", when=MONDAY_8_UTC, tz=PARIS, channel_id="general")
    assert echo == "[Mon 09:00 #general] alice> /react 12 👍"
    opened = render_thread_opened(
        "Tell us more",
        parent=12,
        channel_id="general",
        when=MONDAY_8_UTC,
        tz=PARIS,
        author="Terreau",
    )
    assert opened == "  ↳ [Mon 09:00 #general › #12] Terreau opened a thread: Tell us more"
    assert render_number(13) == "  (#13)"
    assert render_error("unknown command /fly", 4) == "error: line 4: unknown command /fly"
    assert render_error("unknown command /fly") == "error: unknown command /fly"


def test_markup_is_bold_on_a_terminal_and_plain_words_when_piped() -> None:
    typed = literal("**x** \x1b[31m")
    post = Post(
        text=f"**Question 1/2** (_easy_) `/terreau help` in {channel_marker(0)}: {typed}",
        channels=(ChannelMention(channel_id="general", name="ritual channel"),),
    )

    piped = render_post(post, frame())
    styled = render_post(post, frame(), styled=True)

    assert piped == (
        "#12 [Mon 09:00 #general] Terreau: Question 1/2 (easy) `/terreau help` in #general: "
        "**x** \ufffd[31m"
    )
    assert styled == (
        "#12 [Mon 09:00 #general] Terreau: \x1b[1mQuestion 1/2\x1b[22m (\x1b[3measy\x1b[23m) "
        "`/terreau help` in #general: **x** \ufffd[31m"
    )


def test_a_quote_and_paragraphs_keep_their_shape() -> None:
    said = literal("kind\nand fair")
    post = Post(text=f"What people said:\n> {said}\n\nThanks")

    assert render_post(post, frame()) == (
        "#12 [Mon 09:00 #general] Terreau: What people said:\n"
        "    \n"
        "    > kind\n"
        "    > and fair\n"
        "    \n"
        "    Thanks"
    )
