"""Who could host what, on hand-built members, contacts and past offers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.activity import Level
from bot.config import ConfigError, parse_settings
from bot.features.icebreaker import Candidate, Contact, Rules, Target, eligibility, suggest
from bot.features.icebreaker._hosts import (
    PastOffer,
    find_target,
    group_topics,
    shared_topic,
    title_topics,
)

pytestmark = pytest.mark.icebreaker

NOW = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
DAY = timedelta(days=1)
RULES = Rules(
    max_invitees=3,
    cooldown=timedelta(days=14),
    max_unanswered=2,
    pause=timedelta(days=90),
    invite_levels=frozenset({Level.QUIET}),
)
HOSTS_LEVELS = (Level.OCCASIONAL, Level.QUIET)
DESIGN = Target(kind="ritual", id="design-week", name="design-week", topics=frozenset({"design"}))
RUST = Target(kind="group", id="7", name="Learning Rust", topics=group_topics("learning rust"))
AMA = Target(
    kind="live",
    id="4",
    name="Ask us: Design & Rust!",
    topics=title_topics("Ask us: Design & Rust!"),
    due=NOW + 2 * DAY,
    hosts=frozenset({"mod"}),
)


def member(name: str, level: Level = Level.QUIET, order: int = 0) -> Candidate:
    return Candidate(member_id=name, display_name=name.title(), level=level, order=order)


def contact(days_ago: float, kind: str = "invitation") -> Contact:
    return Contact(kind=kind, sent_at=NOW - days_ago * DAY)


def offer(status: str, days_ago: float) -> PastOffer:
    at = NOW - days_ago * DAY
    return PastOffer(status=status, offered_at=at, answered_at=at)


def eligible(
    candidates: list[Candidate],
    *,
    history: dict[str, list[Contact]] | None = None,
    offers: dict[str, list[PastOffer]] | None = None,
    levels: tuple[Level, ...] | None = HOSTS_LEVELS,
    **sets: frozenset[str],
) -> tuple[list[str], dict[str, str]]:
    found, why = eligibility(
        candidates,
        history or {},
        offers or {},
        rules=RULES,
        levels=levels,
        now=NOW,
        **sets,  # type: ignore[arg-type]
    )
    return [c.member_id for c in found], why


def test_only_occasional_and_quiet_members_are_suggested_never_the_active_ones() -> None:
    found, why = eligible(
        [
            member("quinn"),
            member("olga", Level.OCCASIONAL),
            member("alice", Level.ACTIVE),
            member("cora", Level.CORE),
            member("nina", Level.NEW),
        ]
    )
    assert sorted(found) == ["olga", "quinn"]
    assert why == {"alice": "level", "cora": "level", "nina": "level"}


def test_a_moderators_explicit_offer_may_go_to_any_level() -> None:
    found, _ = eligible([member("alice", Level.ACTIVE)], levels=None)
    assert found == ["alice"]


def test_the_icebreakers_rules_apply_opt_out_dm_consent_and_cool_down_after_any_contact() -> None:
    found, why = eligible(
        [member(name) for name in ("quinn", "opted", "closed", "tagged", "welcomed", "offered")],
        history={
            "tagged": [contact(3)],
            "welcomed": [contact(3, "welcome")],
            "offered": [contact(3, "host_offer")],
        },
        opted_out=frozenset({"opted"}),
        dm_closed=frozenset({"closed"}),
    )
    assert found == ["quinn"]
    assert why == {
        "opted": "opted_out",
        "closed": "no_dm",
        "tagged": "cooldown",
        "welcomed": "cooldown",
        "offered": "cooldown",
    }


def test_members_resting_after_unanswered_invitations_are_left_alone() -> None:
    _, why = eligible([member("quinn")], history={"quinn": [contact(40), contact(20)]})
    assert why == {"quinn": "paused"}


def test_a_no_or_silence_rests_the_member_for_the_pause_and_an_open_offer_blocks_another() -> None:
    found, why = eligible(
        [
            member(n)
            for n in ("declined", "silent", "long_ago", "waiting", "hosting", "stranded", "hosted")
        ],
        offers={
            "declined": [offer("declined", 30)],
            "silent": [offer("expired", 80)],
            "long_ago": [offer("declined", 91)],
            "waiting": [offer("offered", 20)],
            "hosting": [offer("accepted", 20)],
            "stranded": [offer("accepted", 91)],
            "hosted": [offer("hosted", 20)],
        },
    )
    # An acceptance whose post never came (a ritual removed) blocks no longer than a no.
    assert sorted(found) == ["hosted", "long_ago", "stranded"]
    assert why == {
        "declined": "declined",
        "silent": "declined",
        "waiting": "pending",
        "hosting": "pending",
    }


def test_interests_meet_a_ritual_by_tag_and_a_group_by_the_words_of_its_topic() -> None:
    assert group_topics("learning  rust") == {"learning", "rust", "learning-rust"}
    assert shared_topic({"rust", "design"}, RUST) == "rust"
    assert shared_topic({"learning_rust"}, RUST) == "learning_rust"
    assert shared_topic({"design"}, DESIGN) == "design"
    assert shared_topic({"cooking"}, DESIGN) is None


def test_suggestions_follow_the_rotation_spread_over_targets_and_stop_at_the_limit() -> None:
    members = [member(f"m{n}") for n in range(5)]
    interests = {
        "m0": {"design", "rust"},
        "m1": {"design"},
        "m2": {"cooking"},
        "m3": {"rust"},
        "m4": {"design"},
    }
    found = suggest(members, interests, [DESIGN, RUST], limit=3)
    assert [(s.candidate.member_id, s.target.id, s.topic) for s in found] == [
        ("m0", "design-week", "design"),
        ("m1", "design-week", "design"),
        ("m3", "7", "rust"),
    ]
    # Every target gets a suggestion before any gets a second one.
    found = suggest(members, interests, [DESIGN, RUST], limit=2)
    assert {s.target.id for s in found} == {"design-week", "7"}


def test_a_live_session_is_about_the_words_of_its_title() -> None:
    assert title_topics("Ask us: Design & Rust!") == {
        "ask",
        "us",
        "design",
        "rust",
        "ask-us-design-rust",
    }
    assert title_topics("  ") == frozenset()
    assert shared_topic({"design", "cooking"}, AMA) == "design"
    assert shared_topic({"cooking"}, AMA) is None


def test_suggestions_include_live_sessions_but_never_for_their_own_hosts() -> None:
    members = [member("m0"), member("mod"), member("m2")]
    interests = {"m0": {"design"}, "mod": {"design"}, "m2": {"rust"}}
    found = suggest(members, interests, [DESIGN, AMA, RUST], limit=3)
    assert [(s.candidate.member_id, s.target.kind, s.target.id) for s in found] == [
        ("m0", "ritual", "design-week"),
        ("mod", "ritual", "design-week"),
        ("m2", "live", "4"),
    ]
    # Alone, the session is offered to whoever shares its topic, except its host.
    found = suggest(members, interests, [AMA], limit=3)
    assert [s.candidate.member_id for s in found] == ["m0", "m2"]


def test_a_target_is_named_by_ritual_name_group_number_or_live_and_session_number() -> None:
    targets = [DESIGN, RUST, AMA, Target(kind="ritual", id="4", name="4", topics=frozenset())]
    assert find_target(targets, "design-week") is DESIGN
    assert find_target(targets, " #7 ") is RUST
    assert find_target(targets, "group:7") is RUST
    assert find_target(targets, "live:4") is AMA
    assert find_target(targets, "LIVE: #4") is AMA
    assert find_target(targets, "ritual:design-week") is DESIGN
    # A bare number is a ritual or a group, never a session; a kind must match.
    assert find_target(targets, "4") is targets[3]
    assert find_target(targets, "live:7") is None
    assert find_target(targets, "group:design-week") is None
    assert find_target(targets, "live:") is None


def test_no_interest_declared_or_nothing_to_host_means_no_suggestion() -> None:
    assert suggest([member("quinn")], {}, [DESIGN], limit=3) == []
    assert suggest([member("quinn")], {"quinn": {"design"}}, [], limit=3) == []


def test_a_bad_hosts_setting_is_named_by_its_key_path_and_line() -> None:
    text = (
        '[[communities]]\nplatform = "console"\nid = "demo"\nname = "Demo"\n'
        'channels = { general = "general" }\n\n[communities.icebreaker]\nenabled = true\n\n'
        '[communities.icebreaker.hosts]\nlevels = ["quiet", "shy"]\nsuggestions = 0\n'
    )
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, Path("terreau.toml"))
    found = {(p.path, p.line) for p in caught.value.problems}
    assert ("communities[0].icebreaker.hosts.levels[1]", 11) in found
    assert ("communities[0].icebreaker.hosts.suggestions", 12) in found
    assert any("unknown level" in p.message for p in caught.value.problems)
