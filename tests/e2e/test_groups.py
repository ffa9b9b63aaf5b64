"""Affinity groups end to end: proposals, joins, spaces, silence, closing, restarts, data."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain import ChoiceMade, Member, MemberLeft, Post
from bot.features.groups import join_id
from bot.features.privacy._commands import CONFIRM
from bot.ports import Forbidden, Unsupported
from tests.e2e.conftest import BEFORE, KEY, MOD, Terreau, next_id
from tests.e2e.test_privacy import kept, read_json

pytestmark = pytest.mark.groups

ALICE = Member(id="alice", display_name="Alice")
BOB = Member(id="bob", display_name="Bob")
CAROL = Member(id="carol", display_name="Carol")
DAN = Member(id="dan", display_name="Dan")

GROUPS = """
[communities.groups]
enabled = true
members_needed = 3
proposal_hours = 48
silent_days = 10
archive_after_notice_days = 3
suggest_at = 3
"""


async def start(terreau: Terreau, extra: str = GROUPS) -> None:
    await terreau.start(extra=extra)
    for member in (ALICE, BOB, CAROL, DAN, MOD):
        await terreau.say(member, text="hello")


def said(terreau: Terreau, member: Member) -> tuple[str, dict[str, object]]:
    """The prompt of `member`'s last private answer, and its variables."""
    rendered = terreau.prompts.of(terreau.answers(member)[-1])
    shown = {k: v for k, v in rendered.variables.items() if k != "member"}  # the replier's name
    return rendered.key, shown


def posts(terreau: Terreau, key: str) -> list[Post]:
    shown = terreau.prompts.posts(terreau.platform.posts(), f"groups.posts.{key}")
    return [post for post in shown if terreau.said(post) == f"groups.posts.{key}"]


def where(terreau: Terreau, post: Post) -> str | None:
    for item in terreau.platform.sent:
        if item.post is post and item.where is not None:
            return item.where.channel_id
    return None


async def propose(terreau: Terreau, topic: str = "Rust") -> int:
    await terreau.command(ALICE, "group", "propose", topic, "to learn it together")
    key, variables = said(terreau, ALICE)
    assert key == "groups.proposed"
    return int(str(variables["group"]))


async def test_a_proposal_opens_a_space_once_enough_members_joined(terreau: Terreau) -> None:
    await start(terreau)
    group = await propose(terreau)

    [proposal] = posts(terreau, "proposed")
    assert [c.id for c in proposal.choices] == [join_id(group)]
    assert where(terreau, proposal) == "general"
    await terreau.choose(BOB, join_id(group))
    assert said(terreau, BOB)[0] == "groups.joined"
    assert not terreau.platform.spaces
    await terreau.command(CAROL, "group", "join", str(group))

    [(space, members)] = terreau.platform.spaces.items()
    assert members == ["alice", "bob", "carol"]
    [opened] = posts(terreau, "opened")
    assert where(terreau, opened) == space
    assert {m.member_id for m in opened.mentions} == {"alice", "bob", "carol"}
    [private] = [s.private for s in terreau.platform.sent if s.kind == "space"]
    assert private is True

    await terreau.command(DAN, "group", "join", str(group))
    assert terreau.platform.spaces[space] == ["alice", "bob", "carol", "dan"]
    [welcome] = posts(terreau, "joined")
    assert where(terreau, welcome) == space and welcome.mentions[0].member_id == "dan"


async def test_a_click_delivered_twice_joins_once_and_opens_one_space(terreau: Terreau) -> None:
    await start(terreau)
    group = await propose(terreau)
    await terreau.choose(BOB, join_id(group))
    click = ChoiceMade(
        event_id=next_id(),
        community=KEY,
        occurred_at=terreau.clock.now(),
        member=CAROL,
        channel_id="general",
        message_id="m1",
        choice_id=join_id(group),
        interaction_id=next_id("i"),
    )

    await terreau.deliver(click)
    await terreau.deliver(click)  # the platform redelivered it
    await terreau.choose(CAROL, join_id(group))  # and Carol clicked again

    assert len(terreau.platform.spaces) == 1
    assert len(posts(terreau, "opened")) == 1
    assert said(terreau, CAROL)[0] == "groups.refuse.already_member"


async def test_a_proposal_not_joined_in_time_expires_even_across_a_restart(
    terreau: Terreau,
) -> None:
    await start(terreau)
    group = await propose(terreau)
    await terreau.choose(BOB, join_id(group))
    await terreau.stop()

    await terreau.clock.set(BEFORE + timedelta(hours=49))  # down while the deadline passed
    await terreau.start(extra=GROUPS)
    await terreau.at(BEFORE + timedelta(hours=50))

    [expired] = posts(terreau, "expired")
    assert terreau.prompts.of(expired).variables["count"] == 2
    await terreau.command(CAROL, "group", "join", str(group))
    assert said(terreau, CAROL)[0] == "groups.refuse.unknown"
    assert not terreau.platform.spaces


async def test_a_silent_group_gets_one_notice_then_is_archived_never_deleted(
    terreau: Terreau,
) -> None:
    await start(terreau)
    group = await propose(terreau)
    await terreau.choose(BOB, join_id(group))
    await terreau.choose(CAROL, join_id(group))
    [space] = terreau.platform.spaces

    await terreau.at(BEFORE + timedelta(days=5))
    await terreau.say(BOB, text="anyone?", channel_id=space)
    await terreau.at(BEFORE + timedelta(days=14))
    assert not posts(terreau, "silent")  # Bob spoke on day 5: silent for 9 days only
    await terreau.at(BEFORE + timedelta(days=15, hours=1))
    assert len(posts(terreau, "silent")) == 1
    await terreau.at(BEFORE + timedelta(days=17))
    assert len(posts(terreau, "silent")) == 1 and not terreau.platform.archived

    await terreau.at(BEFORE + timedelta(days=18, hours=2))
    assert terreau.platform.archived == {space}
    await terreau.command(ALICE, "group", "list")
    assert said(terreau, ALICE) == ("groups.list", {"groups": []})


async def test_talk_after_the_notice_keeps_the_group(terreau: Terreau) -> None:
    await start(terreau)
    group = await propose(terreau)
    await terreau.choose(BOB, join_id(group))
    await terreau.choose(CAROL, join_id(group))
    [space] = terreau.platform.spaces

    await terreau.at(BEFORE + timedelta(days=10, hours=2))
    assert len(posts(terreau, "silent")) == 1
    await terreau.at(BEFORE + timedelta(days=11))
    await terreau.say(CAROL, text="still here", channel_id=space)
    await terreau.at(BEFORE + timedelta(days=14))

    assert not terreau.platform.archived
    await terreau.at(BEFORE + timedelta(days=20, hours=2))
    assert len(posts(terreau, "silent")) == 1  # Carol spoke on day 11
    await terreau.at(BEFORE + timedelta(days=21, hours=2))
    assert len(posts(terreau, "silent")) == 2


async def test_moderators_close_a_group_members_cannot(terreau: Terreau) -> None:
    await start(terreau)
    group = await propose(terreau)
    await terreau.choose(BOB, join_id(group))
    await terreau.choose(CAROL, join_id(group))
    [space] = terreau.platform.spaces

    await terreau.command(BOB, "group", "close", str(group))
    assert not terreau.platform.archived
    await terreau.command(MOD, "group", "close", str(group))

    assert said(terreau, MOD)[0] == "groups.closed"
    assert terreau.platform.archived == {space}
    [closing] = posts(terreau, "closed")
    assert where(terreau, closing) == space


@pytest.mark.parametrize("refusal", [Unsupported("no channels"), Forbidden("no scope")])
async def test_where_spaces_cannot_open_the_group_talks_in_a_thread(
    terreau: Terreau, refusal: Exception
) -> None:
    await start(terreau)
    terreau.platform.spaces_refused = refusal
    group = await propose(terreau)
    await terreau.choose(BOB, join_id(group))
    await terreau.choose(CAROL, join_id(group))

    [here] = posts(terreau, "opened_here")
    assert where(terreau, here) == "general"
    assert {m.member_id for m in here.mentions} == {"alice", "bob", "carol"}
    [opened] = posts(terreau, "opened")
    [sent] = [s for s in terreau.platform.sent if s.post is opened]
    assert sent.where is not None and sent.where.thread_id is not None


async def test_the_same_topic_twice_points_to_the_group(terreau: Terreau) -> None:
    await start(terreau)
    group = await propose(terreau, "Rust")
    await terreau.command(BOB, "group", "propose", "  rust ", "me too")

    assert said(terreau, BOB) == (
        "groups.refuse.same_topic",
        {"topic": "Rust", "group": group},
    )


async def test_moderators_hear_once_of_an_interest_shared_with_no_group(
    terreau: Terreau,
) -> None:
    await start(terreau)
    for member in (ALICE, BOB, CAROL):
        await terreau.command(member, "me", "interests", "rust, go")
    await terreau.command(DAN, "me", "interests", "go")
    await propose(terreau, "Go")

    await terreau.at(BEFORE + timedelta(hours=1, minutes=10))
    await terreau.at(BEFORE + timedelta(hours=2, minutes=10))

    [suggestion] = posts(terreau, "suggestion")
    assert where(terreau, suggestion) == "mods"
    assert terreau.prompts.of(suggestion).variables == {"topic": "rust", "count": 3}


async def test_leaving_members_and_erasure_take_members_out(terreau: Terreau) -> None:
    await start(terreau)
    group = await propose(terreau)
    await terreau.choose(BOB, join_id(group))
    await terreau.command(BOB, "group", "leave", str(group))
    assert said(terreau, BOB)[0] == "groups.left"
    await terreau.choose(DAN, join_id(group))
    await terreau.deliver(
        MemberLeft(
            event_id=next_id(), community=KEY, occurred_at=terreau.clock.now(), member_id="dan"
        )
    )
    await terreau.command(ALICE, "group", "list")
    [listed] = said(terreau, ALICE)[1]["groups"]  # type: ignore[misc]
    assert listed["count"] == 1

    await terreau.command(ALICE, "me", "data")
    assert {k: v for k, v in kept(terreau).items() if k.startswith("group_")} == {
        "group_memberships": 1,
        "group_proposals": 1,
    }
    await terreau.command(ALICE, "me", "export")
    path = terreau.platform.posts("respond")[-1].file_path
    assert path is not None
    data = read_json(Path(path))["data"]
    assert isinstance(data, dict)
    assert data["group_proposals"][0]["why"] == "to learn it together"
    await terreau.command(ALICE, "me", "forget")
    await terreau.choose(ALICE, CONFIRM)
    await terreau.command(ALICE, "me", "data")
    shown = kept(terreau)
    assert (shown.get("group_memberships", 0), shown.get("group_proposals", 0)) == (0, 0)
    await terreau.command(BOB, "group", "list")
    [listed] = said(terreau, BOB)[1]["groups"]  # type: ignore[misc]
    assert listed["count"] == 0  # the group stays, without Alice


async def test_groups_are_off_unless_enabled(terreau: Terreau) -> None:
    await start(terreau, extra="")
    await terreau.command(ALICE, "group", "propose", "Rust", "why not")
    assert said(terreau, ALICE)[0] == "groups.refuse.disabled"
