"""Hold-ups end to end: submission, approval, thread, ideas, dots, outcome, follow-up, data."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain import ChoiceMade, CommandInvoked, Member, Post
from bot.features._board import vote_id
from bot.features.privacy._commands import CONFIRM
from bot.ports import Forbidden, Unsupported
from tests.e2e.conftest import BEFORE, KEY, MOD, Terreau, next_id
from tests.e2e.test_privacy import kept, read_json
from tests.prompt_samples import HOSTILE

pytestmark = pytest.mark.holdup

ALICE = Member(id="alice", display_name="Alice")
BOB = Member(id="bob", display_name="Bob")
CAROL = Member(id="carol", display_name="Carol")
DAN = Member(id="dan", display_name="Dan")

HOLDUP = """
[communities.holdup]
enabled = true
ideas_hours = 24
vote_hours = 12
dots = 3
"""
IDEAS_END = BEFORE + timedelta(hours=24)
VOTE_END = IDEAS_END + timedelta(hours=12)


async def start(terreau: Terreau, extra: str = HOLDUP) -> None:
    await terreau.start(extra=extra)
    for member in (ALICE, BOB, CAROL, DAN, MOD):
        await terreau.say(member, text="hello")


def said(terreau: Terreau, member: Member) -> tuple[str, dict[str, object]]:
    """The prompt of `member`'s last private answer, and its variables."""
    rendered = terreau.prompts.of(terreau.answers(member)[-1])
    return rendered.key, {k: v for k, v in rendered.variables.items() if k != "member"}


def posts(terreau: Terreau, key: str) -> list[Post]:
    shown = terreau.prompts.posts(terreau.platform.posts(), f"holdup.posts.{key}")
    return [post for post in shown if terreau.said(post) == f"holdup.posts.{key}"]


def where(terreau: Terreau, post: Post) -> tuple[str, str | None]:
    [sent] = [s for s in terreau.platform.sent if s.post is post and s.where is not None]
    assert sent.where is not None
    return sent.where.channel_id, sent.where.thread_id


async def command_in(
    terreau: Terreau, member: Member, channel_id: str, action: str, *args: str
) -> None:
    """Run `/terreau holdup <action> ...` typed in `channel_id` (a hold-up's space, say)."""
    await terreau.deliver(
        CommandInvoked(
            event_id=next_id(),
            community=KEY,
            occurred_at=terreau.clock.now(),
            member=member,
            channel_id=channel_id,
            group="holdup",
            action=action,
            args=args,
        )
    )


async def submit(terreau: Terreau, problem: str = "a name for my bakery") -> int:
    await terreau.command(
        ALICE, "holdup", "submit", problem, "names and slogans", "it opens in March"
    )
    key, variables = said(terreau, ALICE)
    assert key == "holdup.submitted"
    return int(str(variables["holdup"]))


async def started(terreau: Terreau, problem: str = "a name for my bakery") -> tuple[int, str]:
    """Alice submits, the moderator approves: return the hold-up and its space."""
    holdup = await submit(terreau, problem)
    await terreau.command(MOD, "holdup", "approve", str(holdup))
    assert said(terreau, MOD)[0] == "holdup.approved"
    [space] = terreau.platform.spaces
    return holdup, space


def board_of(terreau: Terreau) -> int:
    [voting] = posts(terreau, "voting")
    return int(voting.choices[0].id.split(":")[1])


async def test_a_hold_up_runs_from_its_problem_to_the_ranked_ideas_and_a_follow_up(
    terreau: Terreau,
) -> None:
    await start(terreau)
    holdup = await submit(terreau)
    assert said(terreau, ALICE)[1]["started"] is False
    [submitted] = posts(terreau, "submitted")
    assert where(terreau, submitted) == ("mods", None)
    assert not posts(terreau, "announced")

    await terreau.command(MOD, "holdup", "approve", str(holdup))
    [announced] = posts(terreau, "announced")
    assert where(terreau, announced) == ("general", None)
    [(space, members)] = terreau.platform.spaces.items()
    assert members == ["alice"]
    [private] = [s.private for s in terreau.platform.sent if s.kind == "space"]
    assert private is False
    [opened] = posts(terreau, "opened")
    assert where(terreau, opened) == (space, None)
    # The announcement, posted before the space existed, is edited to name it.
    [edited] = [s for s in terreau.platform.sent if s.kind == "update"]
    assert terreau.said(edited.post) == "holdup.posts.announced"
    assert [c.channel_id for c in edited.post.channels] == [space]

    await terreau.command(BOB, "holdup", "idea", "Le Fournil du Coin")
    assert said(terreau, BOB) == (
        "holdup.idea_added",
        {"number": 1, "problem": "a name for my bakery", "hidden": True},
    )
    [idea] = posts(terreau, "idea")
    assert where(terreau, idea) == (space, None)
    assert terreau.prompts.of(idea).variables["author"] is None  # hidden until the outcome
    await terreau.say(CAROL, text="Pain Perdu, a pun", channel_id=space)
    await terreau.say(DAN, text="nice one", channel_id=space, reply_to="u1")  # a reply discusses
    await terreau.say(ALICE, text="thanks all!", channel_id=space)  # the requester answers
    await terreau.command(DAN, "holdup", "idea", "Crumbs & Co")

    await terreau.at(IDEAS_END + timedelta(minutes=5))
    [voting] = posts(terreau, "voting")
    assert where(terreau, voting) == (space, None)
    ideas = terreau.prompts.of(voting).variables["ideas"]
    assert [(i["number"], i["text"]) for i in ideas] == [  # type: ignore[attr-defined]
        (1, "Le Fournil du Coin"),
        (2, "Pain Perdu, a pun"),
        (3, "Crumbs & Co"),
    ]
    board = board_of(terreau)
    assert [c.id for c in voting.choices] == [vote_id("holdup", board, n) for n in (1, 2, 3)]

    await terreau.choose(CAROL, vote_id("holdup", board, 1))
    assert said(terreau, CAROL) == ("holdup.dotted", {"points": 1, "number": 1, "left": 2})
    await terreau.choose(CAROL, vote_id("holdup", board, 1))
    assert said(terreau, CAROL) == ("holdup.dotted", {"points": 2, "number": 1, "left": 1})
    await terreau.choose(CAROL, vote_id("holdup", board, 2))
    assert said(terreau, CAROL)[0] == "holdup.refuse.own_idea"
    await terreau.command(BOB, "holdup", "dot", "3", "3")
    assert said(terreau, BOB) == ("holdup.dotted", {"points": 3, "number": 3, "left": 0})
    await terreau.command(BOB, "holdup", "dot", "2")
    assert said(terreau, BOB)[0] == "holdup.refuse.over_budget"
    await terreau.command(BOB, "holdup", "dot", "3", "1")  # Bob moves two dots
    await terreau.command(BOB, "holdup", "dot", "2", "2")
    assert said(terreau, BOB) == ("holdup.dotted", {"points": 2, "number": 2, "left": 0})
    await terreau.command(MOD, "holdup", "dot", "1")
    await terreau.command(ALICE, "holdup", "idea", "too late")
    assert said(terreau, ALICE)[0] == "holdup.refuse.no_ideas"

    await terreau.at(VOTE_END + timedelta(minutes=5))
    [outcome] = posts(terreau, "outcome")
    assert where(terreau, outcome) == (space, None)
    shown = terreau.prompts.of(outcome).variables
    ranked = [(i["rank"], i["text"], i["points"], i["author"]) for i in shown["ideas"]]  # type: ignore[attr-defined]
    assert ranked == [
        (1, "Le Fournil du Coin", 3, "Bob"),
        (2, "Pain Perdu, a pun", 2, "Carol"),
        (3, "Crumbs & Co", 1, "Dan"),
    ]
    assert shown["count"] == 3
    assert {m.member_id for m in outcome.mentions} == {"alice", "bob", "carol", "dan"}
    await terreau.command(BOB, "holdup", "dot", "1")
    assert said(terreau, BOB)[0] == "holdup.refuse.no_vote"

    await terreau.command(BOB, "holdup", "followup", "I did it")
    assert said(terreau, BOB)[0] == "holdup.refuse.nothing_to_follow"
    await terreau.command(ALICE, "holdup", "followup", "We chose Le Fournil du Coin. Thank you!")
    assert said(terreau, ALICE)[0] == "holdup.followed_up"
    [followup] = posts(terreau, "followup")
    assert where(terreau, followup) == (space, None)
    assert {m.member_id for m in followup.mentions} == {"alice", "bob", "carol", "dan"}
    await terreau.command(ALICE, "holdup", "followup", "And the sign is up!")  # the same minute
    assert said(terreau, ALICE)[0] == "holdup.followed_up"
    assert len(posts(terreau, "followup")) == 2

    await terreau.command(CAROL, "holdup", "list")
    assert said(terreau, CAROL) == ("holdup.list", {"holdups": [], "timezone": "Europe/Paris"})


async def test_the_phases_go_on_across_restarts_and_a_late_vote_keeps_its_length(
    terreau: Terreau,
) -> None:
    await start(terreau)
    await started(terreau)
    await terreau.command(BOB, "holdup", "idea", "Le Fournil")
    await terreau.command(CAROL, "holdup", "idea", "Pain Perdu")
    await terreau.stop()

    # Down while the ideas phase ended: the vote opens at the restart, for its full 12 hours.
    back = IDEAS_END + timedelta(hours=3)
    await terreau.clock.set(back)
    await start(terreau)
    [voting] = posts(terreau, "voting")
    assert terreau.prompts.of(voting).variables["closes_at"] == back + timedelta(hours=12)
    await terreau.choose(DAN, vote_id("holdup", board_of(terreau), 2))
    await terreau.stop()

    await terreau.clock.set(VOTE_END + timedelta(hours=1))  # the stored end has not come yet
    await start(terreau)
    assert not posts(terreau, "outcome")
    await terreau.at(back + timedelta(hours=12, minutes=5))
    [outcome] = posts(terreau, "outcome")
    ranked = terreau.prompts.of(outcome).variables["ideas"]
    assert [(i["text"], i["points"]) for i in ranked] == [("Pain Perdu", 1), ("Le Fournil", 0)]  # type: ignore[attr-defined]
    assert len(posts(terreau, "voting")) == 0  # this run posted nothing more
    await terreau.at(back + timedelta(days=2))
    assert len(posts(terreau, "outcome")) == 1


async def test_a_click_delivered_twice_gives_one_dot(terreau: Terreau) -> None:
    await start(terreau)
    await started(terreau)
    await terreau.command(BOB, "holdup", "idea", "Le Fournil")
    await terreau.at(IDEAS_END + timedelta(minutes=5))
    click = ChoiceMade(
        event_id=next_id(),
        community=KEY,
        occurred_at=terreau.clock.now(),
        member=CAROL,
        channel_id="general",
        message_id="m1",
        choice_id=vote_id("holdup", board_of(terreau), 1),
        interaction_id=next_id("i"),
    )

    await terreau.deliver(click)
    await terreau.deliver(click)  # the platform redelivered it
    await terreau.command(CAROL, "holdup", "dot", "1", "1")  # and the same dots typed again

    assert said(terreau, CAROL) == ("holdup.dotted", {"points": 1, "number": 1, "left": 2})
    await terreau.at(VOTE_END + timedelta(minutes=5))
    [outcome] = posts(terreau, "outcome")
    [only] = terreau.prompts.of(outcome).variables["ideas"]  # type: ignore[misc]
    assert only["points"] == 1


async def test_two_dots_at_once_never_overspend(terreau: Terreau) -> None:
    await start(terreau)
    await started(terreau)
    for member, text in ((BOB, "one"), (CAROL, "two")):
        await terreau.command(member, "holdup", "idea", text)
    await terreau.at(IDEAS_END + timedelta(minutes=5))

    await asyncio.gather(
        terreau.command(DAN, "holdup", "dot", "1", "2"),
        terreau.command(DAN, "holdup", "dot", "2", "2"),
    )

    answers = sorted(terreau.prompts.of(post).key for post in terreau.answers(DAN)[-2:])
    assert answers == ["holdup.dotted", "holdup.refuse.over_budget"]
    await terreau.at(VOTE_END + timedelta(minutes=5))
    [outcome] = posts(terreau, "outcome")
    ideas = terreau.prompts.of(outcome).variables["ideas"]
    assert sum(i["points"] for i in ideas) == 2  # type: ignore[attr-defined]


async def test_hostile_problems_and_ideas_are_data_never_mentions(terreau: Terreau) -> None:
    await start(terreau)
    await started(terreau, problem=HOSTILE)
    await terreau.command(BOB, "holdup", "idea", f"<@carol> @everyone {HOSTILE}")

    [announced] = posts(terreau, "announced")
    assert [m.member_id for m in announced.mentions] == ["alice"]
    assert HOSTILE in announced.plain_text()
    [idea] = posts(terreau, "idea")
    assert not idea.mentions
    assert f"<@carol> @everyone {HOSTILE}" in idea.plain_text()


async def test_members_submit_only_where_allowed_and_auto_approval_starts_at_once(
    terreau: Terreau,
) -> None:
    await start(terreau, HOLDUP + "members_submit = false\nauto_approve = true\n")
    await terreau.command(ALICE, "holdup", "submit", "a name", "names", "for my bakery")
    assert said(terreau, ALICE)[0] == "holdup.refuse.moderators_only"

    await terreau.command(MOD, "holdup", "submit", "a name", "names", "for my bakery")
    assert said(terreau, MOD)[1]["started"] is True
    assert not posts(terreau, "submitted")
    assert len(posts(terreau, "announced")) == 1 and len(posts(terreau, "opened")) == 1


async def test_moderators_reject_and_members_cannot_decide(terreau: Terreau) -> None:
    await start(terreau)
    holdup = await submit(terreau)
    await terreau.command(BOB, "holdup", "approve", str(holdup))
    assert terreau.prompts.of(terreau.answers(BOB)[-1]).key == "messages.commands.moderators_only"
    await terreau.command(BOB, "holdup", "list")
    assert said(terreau, BOB)[1]["holdups"] == []  # a waiting problem is its requester's
    await terreau.command(ALICE, "holdup", "list")
    [mine] = said(terreau, ALICE)[1]["holdups"]  # type: ignore[misc]
    assert mine["status"] == "pending"

    await terreau.command(MOD, "holdup", "reject", str(holdup))
    assert said(terreau, MOD)[0] == "holdup.rejected"
    await terreau.command(MOD, "holdup", "approve", str(holdup))
    assert said(terreau, MOD) == ("holdup.refuse.unknown", {"holdup": holdup})
    assert not posts(terreau, "announced") and not terreau.platform.spaces


@pytest.mark.parametrize("refusal", [Unsupported("no channels"), Forbidden("no scope")])
async def test_where_spaces_cannot_open_it_talks_in_a_thread_on_its_announcement(
    terreau: Terreau, refusal: Exception
) -> None:
    await start(terreau)
    terreau.platform.spaces_refused = refusal
    holdup = await submit(terreau)
    await terreau.command(MOD, "holdup", "approve", str(holdup))

    [announced] = posts(terreau, "announced")
    [sent] = [s for s in terreau.platform.sent if s.post is announced]
    assert sent.message is not None
    [opened] = posts(terreau, "opened")
    assert where(terreau, opened) == ("general", f"t{sent.message.message_id}")
    assert not [s for s in terreau.platform.sent if s.kind == "update"]  # the thread is on it

    # A message in that thread is an idea; a command typed there means this hold-up.
    await terreau.say(BOB, text="Le Fournil", thread_id=f"t{sent.message.message_id}")
    await terreau.command(ALICE, "holdup", "submit", "a logo", "sketches", "same bakery")
    await terreau.command(MOD, "holdup", "approve", str(holdup + 1))
    await command_in(terreau, CAROL, f"t{sent.message.message_id}", "idea", "Pain Perdu")
    assert said(terreau, CAROL)[1]["number"] == 2
    await terreau.command(DAN, "holdup", "idea", "Crumbs")
    assert said(terreau, DAN)[0] == "holdup.refuse.which"


async def test_without_ideas_the_hold_up_ends_when_its_vote_would_open(terreau: Terreau) -> None:
    await start(terreau)
    await started(terreau)
    await terreau.at(IDEAS_END + timedelta(minutes=5))

    [empty] = posts(terreau, "empty")
    assert terreau.prompts.of(empty).variables["requester"].member_id == "alice"  # type: ignore[union-attr]
    assert not posts(terreau, "voting")


async def test_anonymous_hold_ups_credit_nobody_but_count_the_contributors(
    terreau: Terreau,
) -> None:
    await start(terreau, HOLDUP + "anonymous = true\nhide_authors = false\n")
    await started(terreau)
    await terreau.command(BOB, "holdup", "idea", "Le Fournil")
    [idea] = posts(terreau, "idea")
    assert terreau.prompts.of(idea).variables["author"] == "Bob"  # shown while it runs
    await terreau.at(IDEAS_END + timedelta(minutes=5))
    await terreau.at(VOTE_END + timedelta(minutes=5))

    [outcome] = posts(terreau, "outcome")
    shown = terreau.prompts.of(outcome).variables
    assert [i["author"] for i in shown["ideas"]] == [None]  # type: ignore[attr-defined]
    assert shown["count"] == 1 and shown["contributors"] == []


async def test_members_data_lists_exports_and_erases_requests_ideas_and_dots(
    terreau: Terreau,
) -> None:
    await start(terreau)
    await started(terreau)
    await terreau.command(BOB, "holdup", "idea", "Le Fournil")
    await terreau.command(ALICE, "holdup", "idea", "Pain Perdu")
    await terreau.at(IDEAS_END + timedelta(minutes=5))
    await terreau.command(ALICE, "holdup", "dot", "1", "2")

    await terreau.command(ALICE, "me", "data")
    assert {k: v for k, v in kept(terreau).items() if k.startswith("holdup_")} == {
        "holdup_requests": 1,
        "holdup_ideas": 1,
        "holdup_dots": 1,
    }
    await terreau.command(ALICE, "me", "export")
    path = terreau.platform.posts("respond")[-1].file_path
    assert path is not None
    data = read_json(Path(path))["data"]
    assert isinstance(data, dict)
    assert data["holdup_requests"][0]["context"] == "it opens in March"
    assert data["holdup_ideas"][0]["text"] == "Pain Perdu"
    assert data["holdup_dots"][0]["points"] == 2

    await terreau.command(ALICE, "me", "forget")
    await terreau.choose(ALICE, CONFIRM)
    await terreau.command(ALICE, "me", "data")
    shown = kept(terreau)
    assert [shown.get(k, 0) for k in ("holdup_requests", "holdup_ideas", "holdup_dots")] == [
        0,
        0,
        0,
    ]
    await terreau.at(VOTE_END + timedelta(minutes=5))
    [outcome] = posts(terreau, "outcome")
    shown_outcome = terreau.prompts.of(outcome).variables
    assert shown_outcome["requester"] is None
    assert [(i["text"], i["points"]) for i in shown_outcome["ideas"]] == [("Le Fournil", 0)]  # type: ignore[attr-defined]


async def test_hold_ups_are_off_unless_enabled(terreau: Terreau) -> None:
    await start(terreau, extra="")
    await terreau.command(ALICE, "holdup", "submit", "a name", "names", "for my bakery")
    assert said(terreau, ALICE)[0] == "holdup.refuse.disabled"


async def test_hold_ups_past_the_communitys_retention_are_purged(terreau: Terreau) -> None:
    await start(terreau, HOLDUP + "\n[communities.privacy]\nretention_days = 30\n")
    await started(terreau)
    await terreau.command(BOB, "holdup", "idea", "Le Fournil")
    await terreau.at(IDEAS_END + timedelta(minutes=5))
    await terreau.command(CAROL, "holdup", "dot", "1")
    await terreau.at(VOTE_END + timedelta(minutes=5))
    assert len(posts(terreau, "outcome")) == 1

    await terreau.at(VOTE_END + timedelta(days=29))
    await terreau.command(BOB, "me", "data")
    assert kept(terreau).get("holdup_ideas") == 1
    await terreau.at(VOTE_END + timedelta(days=31))
    for member, kind in ((ALICE, "holdup_requests"), (BOB, "holdup_ideas"), (CAROL, "holdup_dots")):
        await terreau.command(member, "me", "data")
        assert kept(terreau).get(kind, 0) == 0, kind
    await terreau.command(ALICE, "holdup", "followup", "too late")
    assert said(terreau, ALICE)[0] == "holdup.refuse.nothing_to_follow"
