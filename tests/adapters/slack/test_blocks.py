"""Post -> Block Kit rich_text: typed mentions, styles as objects, choices, long text."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack.blocks import MAX_BUTTONS, SELECT_ACTION, TEXT_LIMIT, render
from bot.domain import (
    ChannelMention,
    Choice,
    Mention,
    Post,
    channel_marker,
    literal,
    mention_marker,
    post_from_dict,
    post_to_dict,
)

pytestmark = pytest.mark.slack


def elements(post: Post) -> list[dict[str, Any]]:
    """The inline elements of the one paragraph of a one-message post."""
    [message] = render(post)
    [rich] = message.blocks
    assert rich["type"] == "rich_text"
    [section] = rich["elements"]
    assert section["type"] == "rich_text_section"
    return list(section["elements"])


def test_member_text_is_one_plain_text_element_and_cannot_ping() -> None:
    hostile = "<!here> <!channel> <@U0ALL> & co **x** [x](https://evil.example) _x_ ~x~"
    post = Post(text=f"Option: {literal(hostile)}")

    assert elements(post) == [{"type": "text", "text": f"Option: {hostile}"}]
    [message] = render(post)
    assert "<!here>" not in message.text and "&lt;!here&gt;" in message.text


def test_only_the_chosen_members_are_mentioned_as_user_elements() -> None:
    post = Post(
        text=f"Welcome {mention_marker(0)} and {mention_marker(1)}! <@U0EVIL>",
        mentions=(
            Mention(member_id="U0ALICE", display_name="Alice"),
            Mention(member_id="U0BOB", display_name="Bob"),
        ),
    )

    assert elements(post) == [
        {"type": "text", "text": "Welcome "},
        {"type": "user", "user_id": "U0ALICE"},
        {"type": "text", "text": " and "},
        {"type": "user", "user_id": "U0BOB"},
        {"type": "text", "text": "! <@U0EVIL>"},
    ]
    [message] = render(post)
    assert message.text == "Welcome <@U0ALICE> and <@U0BOB>! &lt;@U0EVIL&gt;"


def test_a_mention_without_a_slack_id_shows_the_name_as_text() -> None:
    post = Post(text=mention_marker(0), mentions=(Mention(member_id="x|y>", display_name="<b>"),))

    assert elements(post) == [{"type": "text", "text": "@<b>"}]


def test_styles_are_objects_and_channels_and_links_are_elements() -> None:
    post = Post(
        text=(
            f"**Question 1/2** in {channel_marker(0)}: _easy_ ~~old~~ `/terreau help` "
            "[docs](https://example.org)"
        ),
        channels=(ChannelMention(channel_id="C0GENERAL", name="general"),),
    )

    assert elements(post) == [
        {"type": "text", "text": "Question 1/2", "style": {"bold": True}},
        {"type": "text", "text": " in "},
        {"type": "channel", "channel_id": "C0GENERAL"},
        {"type": "text", "text": ": "},
        {"type": "text", "text": "easy", "style": {"italic": True}},
        {"type": "text", "text": " "},
        {"type": "text", "text": "old", "style": {"strike": True}},
        {"type": "text", "text": " "},
        {"type": "text", "text": "/terreau help", "style": {"code": True}},
        {"type": "text", "text": " "},
        {"type": "link", "url": "https://example.org", "text": "docs"},
    ]


def test_paragraphs_and_quotes_are_sections_and_quotes() -> None:
    [message] = render(Post(text="What people said:\n> kind\n\nThanks"))

    [rich] = message.blocks
    assert [e["type"] for e in rich["elements"]] == [
        "rich_text_section",
        "rich_text_quote",
        "rich_text_section",
    ]
    assert rich["elements"][1]["elements"] == [{"type": "text", "text": "kind"}]


def test_few_choices_are_buttons_carrying_the_choice_id() -> None:
    choices = tuple(Choice(id=f"poll:7:{n}", label=f"Option {n}") for n in range(MAX_BUTTONS))
    [message] = render(Post(text="Pick one", choices=choices))
    actions = message.blocks[-1]
    assert actions["type"] == "actions"
    assert [(e["type"], e["action_id"], e["value"]) for e in actions["elements"]] == [
        ("button", c.id, c.id) for c in choices
    ]


def test_many_choices_are_one_select_whose_values_are_choice_ids() -> None:
    choices = tuple(Choice(id=f"poll:7:{n}", label="x" * 100) for n in range(MAX_BUTTONS + 1))
    [message] = render(Post(text="Pick one", choices=choices))
    [select] = message.blocks[-1]["elements"]
    assert select["type"] == "static_select"
    assert select["action_id"] == SELECT_ACTION
    assert [o["value"] for o in select["options"]] == [c.id for c in choices]
    assert all(len(o["text"]["text"]) <= 75 for o in select["options"])


def test_long_text_takes_several_messages_split_between_paragraphs() -> None:
    paragraphs = [f"**Part {i}**\n" + "word " * 100 for i in range(40)]
    post = Post(text="\n\n".join(paragraphs), choices=(Choice(id="a:b:c", label="C"),))

    messages = render(post)

    assert len(messages) > 1
    assert all(len(m.text) <= TEXT_LIMIT for m in messages)
    assert all(
        m.blocks[0]["elements"][0]["elements"][0]["text"].startswith("Part ") for m in messages
    )
    shown = "".join(
        element["text"]
        for m in messages
        for section in m.blocks[0]["elements"]
        for element in section["elements"]
    )
    assert shown.count("word") == 40 * 100
    assert messages[-1].blocks[-1]["type"] == "actions"
    assert all(block["type"] == "rich_text" for m in messages[:-1] for block in m.blocks)


def test_an_empty_post_with_choices_is_still_a_valid_message() -> None:
    [message] = render(Post(text="", choices=(Choice(id="a:b:c", label="C"),)))

    assert [block["type"] for block in message.blocks] == ["actions"]


def test_a_member_picker_is_a_users_select_beside_the_buttons() -> None:
    post = Post(
        text="Who brought you here?",
        choices=(Choice(id="x:1:no", label="Nobody"),),
        member_picker=Choice(id="invites:from", label="Pick a member"),
    )
    assert post_from_dict(post_to_dict(post)) == post  # as the outbox stores it
    [message] = render(post)
    [actions] = [block for block in message.blocks if block["type"] == "actions"]
    button, picker = actions["elements"]
    assert button["type"] == "button"
    assert picker == {
        "type": "users_select",
        "action_id": "invites:from",
        "placeholder": {"type": "plain_text", "text": "Pick a member", "emoji": True},
    }
