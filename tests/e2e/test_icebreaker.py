"""Breaking the ice end to end: invitations, welcomes, opt-outs, champions, stats."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import pytest

from bot.activity import Level
from bot.domain import (
    ChannelMention,
    Member,
    MemberJoined,
    MemberLeft,
    MemberVerified,
    MessagePosted,
    Post,
    ReactionAdded,
)
from bot.features.icebreaker import Invitations, welcome_nonce
from tests.e2e.conftest import BEFORE, KEY, MOD, PROMPTS, Terreau, next_id

pytestmark = [pytest.mark.icebreaker, pytest.mark.me]

ICEBREAKER = """
[communities.icebreaker]
enabled = true
schedule = "0 18 * * 2"
channel = "general"
max_invitees = 2
cooldown_days = 14
quiet_hours = "22:00-08:00"

[communities.icebreaker.levels]
new_days = 7
core_days = 3
active_days = 1
quiet_after_days = 20

[communities.icebreaker.welcome]
delay_minutes = 10
introduce = 1

[communities.icebreaker.champions]
weekly_cap = 1
rituals = false
"""

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# Tuesday 24 November 2026, 18:00 in Paris (UTC+1).
TUESDAY_SIX_PM = datetime(2026, 11, 24, 17, 0, tzinfo=BEFORE.tzinfo)
LONG_AGO = BEFORE - 60 * DAY
MINUTE = timedelta(minutes=1)


def member(name: str, **fields: object) -> Member:
    return Member(id=name, display_name=name.title(), joined_at=LONG_AGO, **fields)  # type: ignore[arg-type]


def replies(terreau: Terreau) -> list[str]:
    """The keys of the prompts Terreau answered commands and clicks with, oldest first."""
    return [terreau.said(s.post) for s in terreau.platform.sent if s.kind == "respond"]


def last_reply(terreau: Terreau, *names: str) -> tuple[str, dict[str, object]]:
    """The prompt of the last answer, and the variables `names` it showed."""
    [answer] = [s.post for s in terreau.platform.sent if s.kind == "respond"][-1:]
    return terreau.prompts.said(answer, *names)


def mentioned(terreau: Terreau) -> list[set[str]]:
    return [{m.member_id for m in post.mentions} for post in icebreaker_posts(terreau)]


async def join(terreau: Terreau, who: Member) -> None:
    await terreau.deliver(
        MemberJoined(event_id=next_id(), community=KEY, occurred_at=terreau.clock.now(), member=who)
    )


async def said(terreau: Terreau, who: Member, when: datetime) -> None:
    """Deliver a message `who` posted at `when` (in the past: a hand-built history)."""
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


async def community_with_history(terreau: Terreau) -> None:
    """Quiet members who spoke 40 days ago, active members, a bot and one who left."""
    await terreau.start(extra=ICEBREAKER, dead_after=0)
    for name in ("quinn", "quentin", "quiana", "lea"):
        await said(terreau, member(name), BEFORE - 40 * DAY)
    await said(terreau, member("robot", is_bot=True), BEFORE - 40 * DAY)
    await terreau.deliver(
        MemberLeft(event_id=next_id(), community=KEY, occurred_at=BEFORE - 2 * DAY, member_id="lea")
    )
    await said(terreau, member("alice"), BEFORE - DAY)
    await said(terreau, MOD, BEFORE - DAY)


def icebreaker_posts(terreau: Terreau) -> list[Post]:
    """Return what the icebreaker feature posted (not the harness's weekly ritual)."""
    return [
        s.post
        for s in terreau.platform.sent
        if s.kind == "send" and (s.nonce or "").startswith("icebreaker:")
    ]


async def test_now_invites_quiet_members_in_rotation_never_bots_or_leavers(
    terreau: Terreau,
) -> None:
    await community_with_history(terreau)
    await terreau.command(MOD, "icebreaker", "now")
    await terreau.command(MOD, "icebreaker", "now")
    await terreau.command(MOD, "icebreaker", "now")

    first, second = mentioned(terreau)
    assert len(first) == 2 and len(second) == 1
    assert first | second == {"quinn", "quentin", "quiana"}
    assert replies(terreau)[-1] == "icebreaker.now.nobody"
    # The post is the invitation (with its way to opt out), asking a question of the pool.
    post = terreau.prompts.of(icebreaker_posts(terreau)[0])
    assert post.key == "icebreaker.invitation"
    [question] = [r for r in terreau.prompts.rendered if r.key.startswith("pools.icebreaker.")][:1]
    assert post.variables["question"] == question.text


async def test_an_opted_out_member_is_never_tagged(terreau: Terreau) -> None:
    await community_with_history(terreau)
    await terreau.command(member("quinn"), "me", "optout")
    await terreau.command(member("quentin"), "me", "optout")
    assert replies(terreau) == ["me.optout.done", "me.optout.done"]

    await terreau.command(MOD, "icebreaker", "now")

    assert mentioned(terreau) == [{"quiana"}]


async def test_preview_explains_without_tagging(terreau: Terreau) -> None:
    await community_with_history(terreau)
    await terreau.command(member("quinn"), "me", "optout")
    await terreau.command(MOD, "icebreaker", "preview")

    assert icebreaker_posts(terreau) == []
    key, preview = last_reply(terreau, "chosen", "excluded", "question")
    assert key == "icebreaker.preview"
    catalog = PROMPTS.catalog("en")
    quiet = catalog.text("icebreaker.levels.quiet")
    assert [(m["name"], m["level"]) for m in preview["chosen"]] == [  # type: ignore[attr-defined]
        ("Quentin", quiet),
        ("Quiana", quiet),
    ]
    assert preview["excluded"] == [
        {"count": 2, "reason": catalog.text("icebreaker.reasons.level", count=2)},
        {"count": 1, "reason": catalog.text("icebreaker.reasons.opted_out", count=1)},
    ]
    assert preview["question"]


async def test_icebreaker_commands_are_for_moderators(terreau: Terreau) -> None:
    await community_with_history(terreau)
    await terreau.command(member("quinn"), "icebreaker", "now")
    assert replies(terreau)[-1] == "messages.commands.moderators_only"
    assert icebreaker_posts(terreau) == []


async def test_the_schedule_posts_once_even_across_a_restart(terreau: Terreau) -> None:
    await community_with_history(terreau)
    await terreau.at(TUESDAY_SIX_PM)
    assert len(icebreaker_posts(terreau)) == 1
    await terreau.stop()
    await terreau.clock.set(TUESDAY_SIX_PM + 5 * MINUTE)
    await terreau.start(extra=ICEBREAKER, dead_after=0)
    assert icebreaker_posts(terreau) == []


async def test_nothing_is_posted_in_quiet_hours(terreau: Terreau, caplog) -> None:
    caplog.set_level(logging.INFO, logger="bot.features.icebreaker")
    night = ICEBREAKER.replace('schedule = "0 18 * * 2"', 'schedule = "30 23 * * 2"')
    await terreau.start(extra=night, dead_after=0)
    await said(terreau, member("quinn"), BEFORE - 40 * DAY)
    await terreau.at(TUESDAY_SIX_PM + 5 * HOUR + 30 * MINUTE)
    assert icebreaker_posts(terreau) == []
    assert "skipped: quiet hours" in caplog.text
    await terreau.command(MOD, "icebreaker", "now")
    assert last_reply(terreau, "hours") == ("icebreaker.now.quiet_hours", {"hours": "22:00-08:00"})


async def test_a_newcomer_is_welcomed_once_after_the_delay(terreau: Terreau) -> None:
    await community_with_history(terreau)
    nina = Member(id="nina", display_name="Nina")
    await join(terreau, nina)
    await terreau.command(member("alice"), "me", "interests", "tools, learning")
    await terreau.command(nina, "me", "interests", "tools")
    await terreau.at(BEFORE + 9 * MINUTE)  # due at 08:09 UTC
    assert icebreaker_posts(terreau) == []

    await terreau.at(BEFORE + 11 * MINUTE)
    [welcome] = icebreaker_posts(terreau)
    assert welcome.mentions[0].member_id == "nina"
    assert terreau.said(welcome) == "icebreaker.welcome.text"
    # Alice and Mo are both active; only Alice shares an interest with Nina.
    assert [m.member_id for m in welcome.mentions[1:]] == ["alice"]
    assert welcome.choices[0].id == "icebreaker:optout:nina"

    await terreau.stop()
    await terreau.clock.set(BEFORE + HOUR)
    await terreau.start(extra=ICEBREAKER, dead_after=0)
    await join(terreau, nina)  # a rejoin is not welcomed twice
    await terreau.at(BEFORE + 2 * HOUR)
    assert icebreaker_posts(terreau) == []


async def test_a_newcomer_held_at_screening_is_welcomed_only_once_they_pass(
    terreau: Terreau,
) -> None:
    await community_with_history(terreau)
    nina = Member(id="nina", display_name="Nina", joined_at=BEFORE)
    await terreau.deliver(
        MemberJoined(
            event_id=next_id(), community=KEY, occurred_at=BEFORE, member=nina, screening=True
        )
    )
    await terreau.at(BEFORE + HOUR)
    assert icebreaker_posts(terreau) == []

    passed = BEFORE + HOUR + MINUTE
    await terreau.at(passed)
    verified = MemberVerified(
        event_id="verified:nina", community=KEY, occurred_at=passed, member=nina
    )
    await terreau.deliver(verified)
    await terreau.deliver(verified)  # a redelivery plans nothing more
    await terreau.at(passed + 9 * MINUTE)
    assert icebreaker_posts(terreau) == []

    await terreau.at(passed + 11 * MINUTE)
    [welcome] = icebreaker_posts(terreau)
    assert welcome.mentions[0].member_id == "nina"
    # The join is logged when it happened, not when screening ended.
    app = terreau.app
    assert app is not None
    async with app.database.read() as uow:
        record = await uow.members.get(app.community_id(KEY), "nina")
    assert record is not None and record.joined_at == BEFORE


async def test_a_newcomer_who_never_passes_screening_is_never_welcomed(terreau: Terreau) -> None:
    await community_with_history(terreau)
    await terreau.deliver(
        MemberJoined(
            event_id=next_id(),
            community=KEY,
            occurred_at=terreau.clock.now(),
            member=Member(id="nina", display_name="Nina"),
            screening=True,
        )
    )
    await terreau.at(BEFORE + 2 * DAY)
    assert icebreaker_posts(terreau) == []
    await terreau.command(MOD, "icebreaker", "preview")
    key, preview = last_reply(terreau, "excluded")
    assert key == "icebreaker.preview"
    awaiting = [
        PROMPTS.catalog("en").text("icebreaker.reasons.awaiting_welcome", count=count)
        for count in (1, 2)
    ]
    assert not [e for e in preview["excluded"] if e["reason"] in awaiting]  # type: ignore[attr-defined]


async def test_newcomers_get_their_welcome_before_any_invitation(terreau: Terreau) -> None:
    await community_with_history(terreau)
    await join(terreau, Member(id="nina", display_name="Nina"))
    await terreau.command(MOD, "icebreaker", "preview")
    awaiting = PROMPTS.catalog("en").text("icebreaker.reasons.awaiting_welcome", count=1)
    key, preview = last_reply(terreau, "excluded")
    assert key == "icebreaker.preview"
    assert {"count": 1, "reason": awaiting} in preview["excluded"]  # type: ignore[operator]


async def test_a_newcomer_who_left_before_the_delay_is_not_welcomed(terreau: Terreau) -> None:
    await community_with_history(terreau)
    await join(terreau, Member(id="nina", display_name="Nina"))
    await terreau.at(BEFORE + 5 * MINUTE)
    await terreau.deliver(
        MemberLeft(
            event_id=next_id(), community=KEY, occurred_at=terreau.clock.now(), member_id="nina"
        )
    )
    await terreau.at(BEFORE + HOUR)
    assert icebreaker_posts(terreau) == []


async def test_a_night_join_is_welcomed_when_quiet_hours_end(terreau: Terreau) -> None:
    await community_with_history(terreau)
    late = datetime(2026, 11, 23, 22, 0, tzinfo=BEFORE.tzinfo)  # 23:00 in Paris
    await terreau.at(late)
    await join(terreau, Member(id="nina", display_name="Nina"))
    await terreau.at(late + 8 * HOUR + 59 * MINUTE)  # 07:59 in Paris
    assert icebreaker_posts(terreau) == []
    await terreau.at(late + 9 * HOUR)
    assert len(icebreaker_posts(terreau)) == 1


async def test_reacting_no_bell_to_the_welcome_opts_out(terreau: Terreau) -> None:
    await community_with_history(terreau)
    await join(terreau, Member(id="nina", display_name="Nina"))
    await terreau.at(BEFORE + 11 * MINUTE)
    [sent] = [s for s in terreau.platform.sent if (s.nonce or "").startswith("icebreaker:")]
    assert sent.message is not None and sent.nonce == welcome_nonce(KEY, "nina")
    await terreau.deliver(
        ReactionAdded(
            event_id=next_id(),
            community=KEY,
            occurred_at=terreau.clock.now(),
            member=Member(id="nina", display_name="Nina"),
            channel_id="general",
            message_id=sent.message.message_id,
            emoji="🔕",
        )
    )
    app = terreau.app
    assert app is not None
    async with app.database.transaction() as uow:
        community_id = app.community_id(KEY)
        assert await uow.optouts.has(community_id, "nina", "tagging")
        assert await uow.optouts.has(community_id, "nina", "dm")


async def test_the_welcome_button_opts_out_only_its_newcomer(terreau: Terreau) -> None:
    await community_with_history(terreau)
    await terreau.choose(member("alice"), "icebreaker:optout:nina")
    assert replies(terreau)[-1] == "icebreaker.welcome.not_yours"
    await terreau.choose(Member(id="nina", display_name="Nina"), "icebreaker:optout:nina")
    assert replies(terreau)[-1] == "me.optout.done"


async def test_champions_are_asked_by_dm_within_their_weekly_cap(terreau: Terreau) -> None:
    await community_with_history(terreau)
    await terreau.command(member("alice"), "me", "champion", "on")
    assert last_reply(terreau, "cap") == ("me.champion.on", {"cap": 1})
    for name in ("nina", "noah"):
        await join(terreau, Member(id=name, display_name=name.title()))
    await terreau.at(BEFORE + HOUR)
    await terreau.say(Member(id="nina", display_name="Nina"))
    await terreau.say(Member(id="nina", display_name="Nina"))  # one request per newcomer
    await terreau.at(BEFORE + 2 * HOUR)
    dms = [s for s in terreau.platform.sent if s.kind == "direct"]
    assert [s.member_id for s in dms] == ["alice"]
    general = ChannelMention(channel_id="general", name="general")
    assert terreau.prompts.said(dms[0].post, "name", "channel") == (
        "icebreaker.champion.first_post",
        {"name": "Nina", "channel": general},
    )

    await terreau.say(Member(id="noah", display_name="Noah"))
    await terreau.at(BEFORE + 3 * HOUR)
    assert len([s for s in terreau.platform.sent if s.kind == "direct"]) == 1  # cap: 1 a week

    await terreau.at(BEFORE + 7 * DAY + 4 * HOUR)
    await terreau.say(member("quinn"))  # back after 40 quiet days, once the week is over
    await terreau.at(BEFORE + 7 * DAY + 5 * HOUR)
    dms = [s for s in terreau.platform.sent if s.kind == "direct"]
    assert len(dms) == 2
    assert terreau.prompts.said(dms[-1].post, "name", "channel") == (
        "icebreaker.champion.quiet_return",
        {"name": "Quinn", "channel": general},
    )


async def test_a_champion_with_closed_dms_is_logged_and_skipped(terreau: Terreau, caplog) -> None:
    caplog.set_level(logging.INFO, logger="bot.features.icebreaker")
    await community_with_history(terreau)
    await terreau.command(member("alice"), "me", "champion", "on")
    terreau.platform.dm_closed.add("alice")
    await join(terreau, Member(id="nina", display_name="Nina"))
    await terreau.at(BEFORE + HOUR)
    await terreau.say(Member(id="nina", display_name="Nina"))
    await terreau.at(BEFORE + 2 * HOUR)
    assert [s for s in terreau.platform.sent if s.kind == "direct"] == []
    assert "does not accept DMs" in caplog.text


async def test_stats_show_who_answered_within_48h_7d_and_30d(terreau: Terreau) -> None:
    await community_with_history(terreau)
    await terreau.command(MOD, "icebreaker", "now")
    [invited] = mentioned(terreau)
    first, second = sorted(invited)
    await terreau.at(BEFORE + HOUR)
    await terreau.say(member(first))
    await terreau.at(BEFORE + 3 * DAY)
    await terreau.say(member(second))
    await terreau.at(BEFORE + 8 * DAY)
    await terreau.command(MOD, "icebreaker", "stats")
    catalog = PROMPTS.catalog("en")
    invitations, quiet = catalog.text("icebreaker.kinds.invitation"), "icebreaker.levels.quiet"

    def shares(group: dict[str, object]) -> tuple[object, ...]:
        return tuple(group[name] for name in ("label", "sent", "h48", "d7", "d30"))

    key, stats = last_reply(terreau, "kinds", "levels")
    assert key == "icebreaker.stats.body"
    assert [shares(g) for g in stats["kinds"]] == [(invitations, 2, 50, 100, None)]  # type: ignore[attr-defined]
    assert [shares(g)[:2] for g in stats["levels"]] == [(catalog.text(quiet), 2)]  # type: ignore[attr-defined]

    await terreau.at(BEFORE + 25 * DAY)
    await terreau.say(member(first))
    await terreau.at(BEFORE + 31 * DAY)
    await terreau.command(MOD, "icebreaker", "stats")
    key, stats = last_reply(terreau, "kinds")
    assert [shares(g) for g in stats["kinds"]] == [(invitations, 2, 50, 100, 50)]  # type: ignore[attr-defined]


async def test_interests_choose_the_question(terreau: Terreau) -> None:
    await community_with_history(terreau)
    for name in ("quinn", "quentin"):
        await terreau.command(member(name), "me", "interests", "hobbies")
    await terreau.command(member("quiana"), "me", "optout")
    [saved] = [s.post for s in terreau.platform.sent if s.kind == "respond"][:1]
    assert terreau.prompts.said(saved, "topics") == ("me.interests.saved", {"topics": ["hobbies"]})
    await terreau.command(MOD, "icebreaker", "now")
    [post] = icebreaker_posts(terreau)
    invitation = terreau.prompts.of(post)
    [question] = [
        r
        for r in terreau.prompts.rendered
        if r.key.startswith("pools.icebreaker.") and r.text == invitation.variables["question"]
    ]
    asked = PROMPTS.catalog("en").pool("icebreaker").item(question.key.rsplit(".", 1)[1])
    assert "hobbies" in asked.tags


async def test_interests_are_validated(terreau: Terreau) -> None:
    await community_with_history(terreau)
    await terreau.command(member("quinn"), "me", "interests", "Bad!word")
    assert last_reply(terreau, "rejected") == ("me.interests.invalid", {"rejected": "bad!word"})
    await terreau.command(member("quinn"), "me", "interests")
    assert last_reply(terreau, "topics") == ("me.interests.show", {"topics": []})


async def test_me_settings_round_trip(terreau: Terreau) -> None:
    await community_with_history(terreau)
    quinn = member("quinn")
    await terreau.command(quinn, "me", "optin")
    assert replies(terreau)[-1] == "me.optin.already"
    await terreau.command(quinn, "me", "optout")
    await terreau.command(quinn, "me", "optout")
    assert replies(terreau)[-1] == "me.optout.already"
    await terreau.command(quinn, "me", "champion", "on")
    assert replies(terreau)[-1] == "me.champion.opted_out"
    await terreau.command(quinn, "me", "optin")
    assert replies(terreau)[-1] == "me.optin.done"
    await terreau.command(quinn, "me", "champion", "on")
    await terreau.command(quinn, "me", "champion", "off")
    assert replies(terreau)[-1] == "me.champion.off"
    await terreau.command(quinn, "me", "interests", "tools", "fun")
    await terreau.command(quinn, "me", "interests")
    assert last_reply(terreau, "topics") == ("me.interests.show", {"topics": ["fun", "tools"]})
    await terreau.command(quinn, "me", "interests", "none")
    assert last_reply(terreau, "topics") == ("me.interests.saved", {"topics": []})


async def test_levels_are_recorded_every_night_for_the_month(terreau: Terreau) -> None:
    await community_with_history(terreau)
    await terreau.at(datetime(2026, 11, 24, 2, 20, tzinfo=BEFORE.tzinfo))  # 03:20 in Paris
    app = terreau.app
    assert app is not None
    async with app.database.read() as uow:
        levels = await uow.activity.of_month(app.community_id(KEY), date(2026, 11, 1))
    assert levels == {
        "alice": Level.ACTIVE,
        "mod": Level.ACTIVE,
        "quentin": Level.QUIET,
        "quiana": Level.QUIET,
        "quinn": Level.QUIET,
    }


async def test_icebreaker_commands_say_when_the_feature_is_off(terreau: Terreau) -> None:
    await terreau.start()
    await terreau.command(MOD, "icebreaker", "preview")
    assert replies(terreau)[-1] == "icebreaker.disabled"


async def test_a_champion_is_asked_to_start_a_ritual_discussion_once(terreau: Terreau) -> None:
    await terreau.start(extra=ICEBREAKER.replace("rituals = false", "rituals = true"))
    await said(terreau, member("alice"), BEFORE - DAY)
    await terreau.command(member("alice"), "me", "champion", "on")
    await terreau.at(BEFORE + HOUR)  # the weekly question went up at 09:00
    await terreau.at(BEFORE + 2 * HOUR)
    [dm] = [s for s in terreau.platform.sent if s.kind == "direct"]
    assert dm.member_id == "alice"
    assert terreau.prompts.said(dm.post, "name", "channel") == (
        "icebreaker.champion.ritual",
        {"name": "question", "channel": ChannelMention(channel_id="general", name="general")},
    )


async def test_the_fast_plan_widens_past_resting_members_and_agrees_with_preview(
    terreau: Terreau,
) -> None:
    await terreau.start(extra=ICEBREAKER.replace("cooldown_days = 14", "max_unanswered = 1"))
    names = [f"q{n:02}" for n in range(33)]
    for name in names:
        await said(terreau, member(name), BEFORE - 40 * DAY)
    app = terreau.app
    assert app is not None
    await app.writer.flush()
    async with app.database.transaction() as uow:
        community_id = app.community_id(KEY)
        for n, name in enumerate(names):
            sent = BEFORE - 20 * DAY
            times = 1 if n < 30 else 2  # the last three answered both of theirs
            for k in range(times):
                await uow.icebreaker.record(
                    community_id, name, kind="invitation", nonce=f"{name}-{k}", at=sent
                )
        rows = await uow.icebreaker.invitations(community_id)
        for row in rows:
            if row.member_id in names[30:]:
                await uow.icebreaker.set_outcome(
                    row.id, responded_at=row.sent_at + HOUR, retained=None
                )
    community = app.communities[KEY]
    invitations = Invitations(app)
    fast = await invitations.plan(community)
    explained = await invitations.plan(community, explain=True)
    assert [v.candidate.member_id for v in fast.chosen] == [
        v.candidate.member_id for v in explained.chosen
    ]
    assert {v.candidate.member_id for v in fast.chosen} <= set(names[30:])
    assert len(fast.chosen) == 2
    assert list(explained.excluded.values()).count("paused") == 30


async def test_stats_leave_out_the_members_reports_exclude(terreau: Terreau) -> None:
    await community_with_history(terreau)
    await terreau.command(MOD, "icebreaker", "now")
    [invited] = mentioned(terreau)
    first, second = sorted(invited)
    await terreau.at(BEFORE + HOUR)
    await terreau.say(member(first))
    await terreau.at(BEFORE + 3 * DAY)
    await terreau.say(member(second))
    await terreau.at(BEFORE + 8 * DAY)
    await terreau.stop()
    report = f'\n[communities.report]\nexclude_members = ["{first}"]\n'
    app = await terreau.start(extra=ICEBREAKER + report, dead_after=0)
    async with app.database.read() as uow:
        [prompt] = {i.prompt for i in await uow.icebreaker.invitations(app.community_id(KEY))}
    await terreau.command(MOD, "icebreaker", "stats")

    catalog = app.catalog(KEY)
    # The second member alone: answered after 3 days, so not within 48 hours.
    seen = {"sent": 1, "h48": 0, "h48_known": 1, "d7": 100, "d7_known": 1}
    unknown = {"d30": None, "d30_known": 0}

    def group(label: str) -> dict[str, object]:
        return {"label": label, **seen, **unknown}

    assert terreau.platform.posts("respond")[-1].plain_text() == catalog.text(
        "icebreaker.stats.body",
        member=MOD.display_name,
        kinds=[group(catalog.text("icebreaker.kinds.invitation"))],
        prompts=[group(prompt)],
        levels=[group(catalog.text("icebreaker.levels.quiet"))],
        channels=[group("general")],
    )
