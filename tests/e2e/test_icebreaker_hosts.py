"""Inviting members to host, end to end: suggestions, one offer, its answer, the credit.

Quinn, Quentin, Quiana and Quade spoke forty days ago (quiet); Alice is active.
Quinn declared an interest in learning, which the weekly "question" ritual (the
`discussion` pool) is about. Moderators see suggestions; members only ever get the
one offer a moderator sends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain import ChoiceMade, Member, MessagePosted, Post
from bot.features.icebreaker import choice_id
from bot.features.privacy._commands import CONFIRM
from tests.e2e.conftest import AT_NINE, BEFORE, KEY, MOD, Terreau, next_id
from tests.e2e.test_report import Shown, figures, report_config, report_of, value
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


LIVE = """
[communities.live]
enabled = true
remind_minutes = 15
"""
# The session: today 18:00 to 18:30 in Paris (17:00 UTC).
START = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
END = START + timedelta(minutes=30)


def directs(terreau: Terreau, member: Member, key: str) -> list[Post]:
    return [
        s.post
        for s in terreau.platform.sent
        if s.kind == "direct" and s.member_id == member.id and terreau.said(s.post) == key
    ]


def channel_posts(terreau: Terreau, key: str) -> list[Post]:
    return [
        s.post for s in terreau.platform.sent if s.kind != "direct" and terreau.said(s.post) == key
    ]


def took_the_lead(terreau: Terreau, post: Post) -> Shown:
    """The report's "passengers who took the lead" figure, whatever other figures it shows."""
    [label] = [r for r in terreau.prompts.rendered if r.key == "report.figures.took_the_lead"][-1:]
    [shown] = [
        f
        for f in report_of(terreau, post).variables["figures"]  # type: ignore[attr-defined]
        if f["label"] == label.text
    ]
    return Shown(dict(label.variables), shown["value"], shown["names"])


async def live_session(terreau: Terreau, title: str = "Learning in public") -> str:
    await terreau.command(MOD, "live", "schedule", title, "18:00", "30")
    key, shown = reply(terreau, MOD, "session")
    assert key == "live.scheduled"
    return f"live:{shown['session']}"


async def test_a_member_who_accepts_a_live_session_co_hosts_it_and_took_the_lead(
    terreau: Terreau, tmp_path: Path
) -> None:
    await community(terreau, LIVE + report_config(tmp_path))
    await terreau.command(QUADE, "me", "interests", "public")
    session = await live_session(terreau)

    # Quinn's learning meets the ritual first; Quade's "public" is in the session's title.
    await terreau.command(MOD, "icebreaker", "hosts")
    assert reply(terreau, MOD)[0] == "icebreaker.hosts.suggestions"
    shown = reply(terreau, MOD, "suggestions")[1]
    found = {s["name"]: s for s in shown["suggestions"]}  # type: ignore[attr-defined]
    assert set(found) == {"Quinn", "Quade"}
    assert found["Quinn"]["target"]["kind"] == "ritual"
    assert found["Quade"]["topic"] == "public"
    assert found["Quade"]["target"] == {
        "kind": "live",
        "id": session.removeprefix("live:"),
        "name": "Learning in public",
        "due": START,
    }

    # The moderator hosts it already: no offer to them.
    await terreau.command(MOD, "icebreaker", "offer", "mod", session)
    assert reply(terreau, MOD)[0] == "icebreaker.hosts.refuse.already_host"
    await terreau.command(MOD, "icebreaker", "offer", "quade", session)
    assert reply(terreau, MOD, "target")[1]["target"]["kind"] == "live"  # type: ignore[index]
    [(to, offer)] = offers(terreau)
    assert to == "quade" and terreau.said(offer) == "icebreaker.hosts.offer.live"
    assert terreau.prompts.said(offer, "topic", "due") == (
        "icebreaker.hosts.offer.live",
        {"topic": "public", "due": START},
    )

    await terreau.choose(QUADE, choice_id(1, "accept"))
    assert reply(terreau, QUADE, "title", "starts_at") == (
        "icebreaker.hosts.answer.accepted_live",
        {"title": "Learning in public", "starts_at": START},
    )
    told = [s.post for s in terreau.platform.sent if s.where and s.where.channel_id == "mods"]
    assert [terreau.said(p) for p in told] == ["icebreaker.hosts.moderators"]
    # Hosted now: not offered again, not suggested again.
    await terreau.command(MOD, "icebreaker", "offer", "quinn", session)
    assert reply(terreau, MOD)[0] == "icebreaker.hosts.refuse.unknown_target"

    await terreau.at(START)
    [started] = channel_posts(terreau, "live.posts.started")
    assert {m.member_id for m in started.mentions} == {"mod", "quade"}
    credit = terreau.prompts.said(started, "cohosts")[1]["cohosts"]
    assert [m.member_id for m in credit] == ["quade"]  # type: ignore[attr-defined]
    assert len(directs(terreau, QUADE, "live.posts.cohosting")) == 1

    await terreau.command(ALICE, "live", "ask", "How do you start?")
    await terreau.command(QUINN, "live", "ask", "What if nobody reads?")
    await terreau.command(QUADE, "live", "next")
    assert reply(terreau, QUADE)[0] == "live.taken"
    await terreau.command(QUINN, "live", "next")  # not a host
    assert reply(terreau, QUINN)[0] == "live.refuse.hosts_only"

    await terreau.at(END)
    assert len(directs(terreau, QUADE, "live.posts.followup")) == 1
    await terreau.command(MOD, "report", "week")
    led = took_the_lead(terreau, terreau.answers(MOD)[-1])
    assert (led.label, led.value) == (
        {"sent": 1, "accepted": 1, "hosted": 1},
        value(terreau, "count", "1"),
    )
    assert led.names is not None and "Quade" in led.names

    await terreau.command(QUADE, "me", "data")
    counts = {
        r.key: r.variables["count"]
        for r in terreau.prompts.within(terreau.answers(QUADE)[-1])
        if r.key.startswith("privacy.kinds.")
    }
    assert (counts["privacy.kinds.host_offers"], counts["privacy.kinds.live_attendance"]) == (1, 1)
    await terreau.command(QUADE, "me", "forget")
    await terreau.choose(QUADE, CONFIRM)
    await terreau.command(QUADE, "me", "data")
    assert not [
        r
        for r in terreau.prompts.within(terreau.answers(QUADE)[-1])
        if r.key in ("privacy.kinds.host_offers", "privacy.kinds.live_attendance")
        and r.variables["count"]
    ]


async def test_a_live_session_cancelled_or_started_before_the_answer_changes_nothing(
    terreau: Terreau,
) -> None:
    await community(terreau, LIVE)
    first = await live_session(terreau, "Learning first")
    await terreau.command(MOD, "icebreaker", "offer", "quinn", first)
    await terreau.command(MOD, "live", "cancel", first.removeprefix("live:"))
    await terreau.choose(QUINN, choice_id(1, "accept"))
    assert reply(terreau, QUINN)[0] == "icebreaker.hosts.answer.live_gone"
    await terreau.choose(QUINN, choice_id(1, "accept"))  # a click delivered twice
    assert reply(terreau, QUINN)[0] == "icebreaker.hosts.answer.live_gone"
    await terreau.choose(QUINN, choice_id(1, "decline"))
    assert reply(terreau, QUINN)[0] == "icebreaker.hosts.answer.expired"

    second = await live_session(terreau, "Learning second")
    await terreau.command(MOD, "icebreaker", "offer", "quade", second)
    assert reply(terreau, MOD)[0] == "icebreaker.hosts.offered"
    await terreau.at(START)
    await terreau.choose(QUADE, choice_id(2, "accept"))
    assert reply(terreau, QUADE)[0] == "icebreaker.hosts.answer.live_gone"
    [started] = channel_posts(terreau, "live.posts.started")
    assert {m.member_id for m in started.mentions} == {"mod"}
    await terreau.command(QUADE, "live", "next")
    assert reply(terreau, QUADE)[0] == "live.refuse.hosts_only"
    assert not [m for m in (QUINN, QUADE) if directs(terreau, m, "live.posts.cohosting")]
    # Nothing to host: neither session is offered any more.
    await terreau.command(MOD, "icebreaker", "offer", "alice", second)
    assert reply(terreau, MOD)[0] == "icebreaker.hosts.refuse.unknown_target"
