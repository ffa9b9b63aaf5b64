"""Post -> Block Kit: escaping, explicit mentions, choices, long text."""

from __future__ import annotations

from adapters.slack.blocks import (
    BLOCKS_LIMIT,
    MAX_BUTTONS,
    SECTION_LIMIT,
    SELECT_ACTION,
    escape,
    mrkdwn,
    render,
    split_text,
)
from bot.domain import Choice, Mention, Post, mention_marker


def test_member_text_cannot_ping_everyone() -> None:
    post = Post(text="<!here> <!channel> <!everyone> <@U0ALL> & co")
    assert (
        mrkdwn(post) == "&lt;!here&gt; &lt;!channel&gt; &lt;!everyone&gt; &lt;@U0ALL&gt; &amp; co"
    )


def test_only_the_chosen_members_are_mentioned() -> None:
    post = Post(
        text=f"Welcome {mention_marker(0)} and {mention_marker(1)}! <@U0EVIL>",
        mentions=(
            Mention(member_id="U0ALICE", display_name="Alice"),
            Mention(member_id="U0BOB", display_name="Bob"),
        ),
    )
    assert mrkdwn(post) == "Welcome <@U0ALICE> and <@U0BOB>! &lt;@U0EVIL&gt;"
    [message] = render(post)
    assert message.blocks[0]["text"]["text"] == mrkdwn(post)
    assert message.text == mrkdwn(post)


def test_a_mention_without_a_slack_id_shows_the_escaped_name() -> None:
    post = Post(text=mention_marker(0), mentions=(Mention(member_id="x|y>", display_name="<b>"),))
    assert mrkdwn(post) == "@&lt;b&gt;"


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


def test_long_text_is_split_within_slack_limits_at_line_breaks() -> None:
    line = "word " * 100
    text = "\n".join([line] * 40)
    pieces = split_text(escape(text))
    assert all(len(piece) <= SECTION_LIMIT for piece in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")


def test_a_split_never_cuts_an_escape_or_a_mention() -> None:
    text = "a" * (SECTION_LIMIT - 2) + "&amp;" + "b" * 10
    first, second = split_text(text)
    assert first == "a" * (SECTION_LIMIT - 2)
    assert second.startswith("&amp;")
    text = "a" * (SECTION_LIMIT - 3) + "<@U0ALICE>"
    first, second = split_text(text)
    assert second == "<@U0ALICE>"


def test_huge_text_takes_several_messages_with_choices_on_the_last() -> None:
    text = "x" * (SECTION_LIMIT * (BLOCKS_LIMIT + 3))
    messages = render(Post(text=text, choices=(Choice(id="a:b:c", label="C"),)))
    assert len(messages) == 2
    assert all(len(m.blocks) <= BLOCKS_LIMIT for m in messages)
    assert messages[-1].blocks[-1]["type"] == "actions"
    assert all(block["type"] == "section" for block in messages[0].blocks)
    assert all(len(m.text) <= SECTION_LIMIT for m in messages)


def test_an_empty_post_is_still_a_valid_message() -> None:
    [message] = render(Post(text=""))
    assert message.blocks[0]["text"]["text"] == " "
