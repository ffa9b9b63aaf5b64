"""Inviting members to host, end to end: suggestions, one offer, its answer, the credit.

Quinn, Quentin, Quiana and Quade spoke forty days ago (quiet); Alice is active.
Quinn declared an interest in learning, which the weekly "question" ritual (the
`discussion` pool) is about. Moderators see suggestions; members only ever get the
one offer a moderator sends.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.domain import ChoiceMade, Member, MessagePosted, Post
from bot.features.icebreaker import choice_id
from bot.features.privacy._commands import CONFIRM
from tests.e2e.conftest import AT_NINE, BEFORE, KEY, MOD, Terreau, next_id
from tests.e2e.test_report import figures, report_config, value
from tests.fakes import MISSING

pytestmark = [pytest.mark.icebreaker, pytest.mark.me]

HOSTS = """
[communities.icebreaker]
enabled = true
quiet_hours = "22:00-08:00"

[communities.icebreaker.levels]
new_days = 7
core_days = 3
active_days = 1
quiet_after_days = 20

[communities.icebreaker.welcome]
enabled = false

[communities.icebreaker.champions]
enabled = false

[communities.icebreaker.hosts]
weekly_cap = 3
answer_days = 7
"""
GROUPS = """
[communities.groups]
enabled = true
members_needed = 2
"""

DAY = timedelta(days=1)
QUINN = Member(id="quinn", display_name="Quinn", joined_at=BEFORE - 60 * DAY)
QUENTIN = Member(id="quentin", display_name="Quentin", joined_at=BEFORE - 60 * DAY)
QUIANA = Member(id="quiana", display_name="Quiana", joined_at=BEFORE - 60 * DAY)
QUADE = Member(id="quade", display_name="Quade", joined_at=BEFORE - 60 * DAY)
ALICE = Member(id="alice", display_name="Alice", joined_at=BEFORE - 60 * DAY)


async def said(terreau: Terreau, who: Member, when: datetime) -> None:
    await terreau.deliver(
        MessagePosted(
            event_id=next_id(),
            community=KEY,
            occurred_at=when,
            member=who,
            channel_id="general",
            message_id=next_id("u"),
        )
    )


async def community(terreau: Terreau, extra: str = "") -> None:
    await terreau.start(extra=HOSTS + extra, dead_after=0)
    for quiet in (QUINN, QUENTIN, QUIANA, QUADE):
        await said(terreau, quiet, BEFORE - 40 * DAY)
    await said(terreau, ALICE, BEFORE - DAY)
    await said(terreau, MOD, BEFORE - DAY)
    await terreau.command(QUINN, "me", "interests", "learning")
    await terreau.command(ALICE, "me", "interests", "learning")


def reply(terreau: Terreau, member: Member, *names: str) -> tuple[str, dict[str, object]]:
    """The prompt of the last private answer `member` got, and the variables `names`."""
    return terreau.prompts.said(terreau.answers(member)[-1], *names)


def offers(terreau: Terreau) -> list[tuple[str | None, Post]]:
    return [(s.member_id, s.post) for s in terreau.platform.sent if s.kind == "direct"]


async def test_a_quiet_member_suggested_offered_and_accepting_hosts_the_next_ritual_post(
    terreau: Terreau,
) -> None:
    await community(terreau)

    await terreau.command(MOD, "icebreaker", "hosts")
    key, shown = reply(terreau, MOD, "suggestions")
    assert key == "icebreaker.hosts.suggestions"
    # Alice is active: never suggested; Quentin and the others declared nothing.
    [suggestion] = shown["suggestions"]  # type: ignore[misc]
    assert suggestion["name"] == "Quinn" and suggestion["topic"] == "learning"
    assert suggestion["target"]["kind"] == "ritual" and suggestion["target"]["id"] == "question"
    assert suggestion["target"]["due"] == AT_NINE
    assert not offers(terreau)  # suggestions reach moderators only

    await terreau.command(MOD, "icebreaker", "offer", "quinn", "question")
    assert reply(terreau, MOD)[0] == "icebreaker.hosts.offered"
    [(to, offer)] = offers(terreau)
    assert to == "quinn" and terreau.said(offer) == "icebreaker.hosts.offer.ritual"
    assert [c.id for c in offer.choices] == [choice_id(1, "accept"), choice_id(1, "decline")]

    await terreau.choose(ALICE, choice_id(1, "accept"))  # not hers to answer
    assert reply(terreau, ALICE)[0] == "icebreaker.hosts.not_yours"
    await terreau.choose(QUINN, choice_id(1, "accept"))
    key, shown = reply(terreau, QUINN, "ritual", "due")
    assert (key, shown) == (
        "icebreaker.hosts.answer.accepted_ritual",
        {"ritual": "question", "due": AT_NINE},
    )
    await terreau.choose(QUINN, choice_id(1, "accept"))  # a click delivered twice
    assert reply(terreau, QUINN)[0] == "icebreaker.hosts.answer.already"
    told = [s.post for s in terreau.platform.sent if s.where and s.where.channel_id == "mods"]
    assert [terreau.said(p) for p in told] == ["icebreaker.hosts.moderators"]

    await terreau.at(AT_NINE)
    [ritual] = [s.post for s in terreau.platform.sent if (s.nonce or "").startswith("posts:")]
    assert [m.member_id for m in ritual.mentions] == ["quinn"]
    assert "messages.posts.hosted_by" in [r.key for r in terreau.prompts.within(ritual)]

    await terreau.at(AT_NINE + 7 * DAY)
    posts = [s.post for s in terreau.platform.sent if (s.nonce or "").startswith("posts:")]
    assert len(posts) == 2 and not posts[1].mentions  # hosted once, the next post only


async def test_offers_are_refused_with_the_reason_and_within_the_weekly_cap(
    terreau: Terreau,
) -> None:
    await community(terreau)
    await terreau.command(QUENTIN, "me", "optout")
    terreau.platform.dm_closed.add("quiana")

    async def offer(who: str, target: str = "question") -> tuple[str, dict[str, object]]:
        await terreau.command(MOD, "icebreaker", "offer", who, target)
        return reply(terreau, MOD, "name", "reference", "cap")

    assert await offer("quinn", "nope") == (
        "icebreaker.hosts.refuse.unknown_target",
        {"name": MISSING, "reference": "nope", "cap": MISSING},
    )
    assert (await offer("nobody"))[0] == "icebreaker.hosts.refuse.unknown_member"
    assert (await offer("quentin"))[:1] == ("icebreaker.hosts.refuse.opted_out",)
    assert (await offer("quiana"))[0] == "icebreaker.hosts.refuse.dm_closed"
    assert (await offer("quiana"))[0] == "icebreaker.hosts.refuse.cooldown"
    assert (await offer("quinn"))[0] == "icebreaker.hosts.offered"
    assert (await offer("quinn"))[0] == "icebreaker.hosts.refuse.cooldown"
    assert (await offer("quade"))[0] == "icebreaker.hosts.offered"
    # Three offers sent in 7 days (one could not reach Quiana): the weekly cap.
    assert await offer("alice") == (
        "icebreaker.hosts.refuse.cap",
        {"name": MISSING, "reference": MISSING, "cap": 3},
    )
    assert [to for to, _ in offers(terreau)] == ["quinn", "quade"]
    # Quade declared no interest: the offer does not pretend he did.
    [(_, to_quinn), (_, to_quade)] = offers(terreau)
    assert terreau.prompts.said(to_quinn, "topic")[1] == {"topic": "learning"}
    assert terreau.prompts.said(to_quade, "topic")[1] == {"topic": ""}
    # Quinn accepts: the ritual's next post has its host, Quade's offer comes too late.
    await terreau.choose(QUINN, choice_id(2, "accept"))
    assert (await offer("alice"))[0] == "icebreaker.hosts.refuse.unknown_target"
    await terreau.choose(QUADE, choice_id(3, "accept"))
    assert reply(terreau, QUADE, "due") == (
        "icebreaker.hosts.answer.accepted_ritual",
        {"due": AT_NINE + 7 * DAY},
    )


async def test_a_member_who_says_no_or_stays_silent_is_not_asked_again_soon(
    terreau: Terreau,
) -> None:
    await community(terreau)
    await terreau.command(MOD, "icebreaker", "offer", "quinn", "question")
    await terreau.choose(QUINN, choice_id(1, "decline"))
    assert reply(terreau, QUINN)[0] == "icebreaker.hosts.answer.declined"
    await terreau.command(MOD, "icebreaker", "offer", "quade", "question")

    # Past the icebreakers' cool-down (14 days), still resting after the no.
    await terreau.at(BEFORE + 15 * DAY)
    await terreau.choose(QUADE, choice_id(2, "accept"))  # left unanswered 7 days: expired
    assert reply(terreau, QUADE)[0] == "icebreaker.hosts.answer.expired"
    for who in ("quinn", "quade"):
        await terreau.command(MOD, "icebreaker", "offer", who, "question")
        assert reply(terreau, MOD)[0] == "icebreaker.hosts.refuse.declined"
    await terreau.command(MOD, "icebreaker", "hosts")
    assert reply(terreau, MOD, "suggestions") == (
        "icebreaker.hosts.suggestions",
        {"suggestions": []},
    )


async def test_a_member_who_accepts_a_group_becomes_its_host(terreau: Terreau) -> None:
    await community(terreau, GROUPS)
    await terreau.command(MOD, "group", "propose", "Learning Rust", "to read the book together")
    await terreau.command(ALICE, "group", "join", "1")
    [space] = terreau.platform.spaces

    await terreau.command(MOD, "icebreaker", "offer", "quinn", "1")
    [(_, offer)] = offers(terreau)
    assert terreau.said(offer) == "icebreaker.hosts.offer.group"
    await terreau.choose(QUINN, choice_id(1, "accept"))
    assert reply(terreau, QUINN, "topic") == (
        "icebreaker.hosts.answer.accepted_group",
        {"topic": "Learning Rust"},
    )
    assert "quinn" in terreau.platform.spaces[space]
    [credit] = [s.post for s in terreau.platform.sent if s.where and s.where.channel_id == space][
        -1:
    ]
    assert terreau.said(credit) == "icebreaker.hosts.group_host"
    assert [m.member_id for m in credit.mentions] == ["quinn"]

    await terreau.command(ALICE, "group", "list")
    key, shown = reply(terreau, ALICE, "groups")
    assert key == "groups.list"
    assert [g["host"] for g in shown["groups"]] == ["Quinn"]  # type: ignore[attr-defined]
    await terreau.command(MOD, "icebreaker", "offer", "quade", "1")
    assert reply(terreau, MOD)[0] == "icebreaker.hosts.refuse.unknown_target"


async def test_the_report_thanks_passengers_who_took_the_lead(
    terreau: Terreau, tmp_path: Path
) -> None:
    await community(terreau, report_config(tmp_path))
    await terreau.command(MOD, "icebreaker", "offer", "quinn", "question")
    await terreau.command(MOD, "icebreaker", "offer", "quade", "question")
    await terreau.choose(QUINN, choice_id(1, "accept"))
    await terreau.at(AT_NINE)

    await terreau.command(MOD, "report", "week")
    led = figures(terreau, terreau.answers(MOD)[-1])["report.figures.took_the_lead"]
    assert led.label == {"sent": 2, "accepted": 1, "hosted": 1}
    assert led.value == value(terreau, "count", "1")
    assert led.names is not None and "Quinn" in led.names and "Quade" not in led.names


async def test_offers_are_listed_exported_and_erased_with_the_members_data(
    terreau: Terreau,
) -> None:
    await community(terreau)
    await terreau.command(MOD, "icebreaker", "offer", "quinn", "question")
    await terreau.command(QUINN, "me", "data")
    answer = terreau.answers(QUINN)[-1]
    counts = {
        r.key: r.variables["count"]
        for r in terreau.prompts.within(answer)
        if r.key.startswith("privacy.kinds.")
    }
    assert counts["privacy.kinds.host_offers"] == 1

    await terreau.command(QUINN, "me", "forget")
    await terreau.choose(QUINN, CONFIRM)
    await terreau.command(QUINN, "me", "data")
    answer = terreau.answers(QUINN)[-1]
    assert not [
        r
        for r in terreau.prompts.within(answer)
        if r.key == "privacy.kinds.host_offers" and r.variables["count"]
    ]
    await terreau.deliver(
        ChoiceMade(
            event_id=next_id(),
            community=KEY,
            occurred_at=terreau.clock.now(),
            member=QUINN,
            channel_id="dm-quinn",
            message_id="m1",
            choice_id=choice_id(1, "accept"),
            interaction_id=next_id("i"),
        )
    )
    assert reply(terreau, QUINN)[0] == "messages.choices.expired"


async def test_an_answer_after_a_restart_is_recorded_and_the_credit_survives_it(
    terreau: Terreau,
) -> None:
    await community(terreau)
    await terreau.command(MOD, "icebreaker", "offer", "quinn", "question")
    await terreau.stop()
    await terreau.start(extra=HOSTS, dead_after=0)
    # Clicks need no memory: any process, after any restart, takes the answer.
    await terreau.choose(QUINN, choice_id(1, "accept"))
    assert reply(terreau, QUINN)[0] == "icebreaker.hosts.answer.accepted_ritual"
    await terreau.stop()
    await terreau.start(extra=HOSTS, dead_after=0)
    await terreau.at(AT_NINE)
    [ritual] = [s.post for s in terreau.platform.sent if (s.nonce or "").startswith("posts:")]
    assert [m.member_id for m in ritual.mentions] == ["quinn"]
