"""`terreau init`'s recommendations: a few community profiles and what follows from them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.config import parse_settings
from bot.features.election import ElectionConfig
from bot.features.games import GamesConfig
from bot.features.icebreaker import IcebreakerConfig
from bot.features.posts import PostsConfig
from bot.features.report import ReportConfig
from bot.onboarding import Answers, config_text, recommend, size_band
from bot.onboarding._plan import ELECTION, FOR_BENEFIT, GAMES, ICEBREAKER, RHYTHM
from bot.prompts import Prompts

pytestmark = pytest.mark.cli

PROMPTS = Prompts.load(Path(__file__).resolve().parents[2] / "prompts")


def community(**overrides: object) -> Answers:
    values: dict[str, object] = {
        "language": "en",
        "audience": "employees",
        "purpose": "",
        "name": "Acme",
        "size": 30,
        "benefit": "connection",
        "meeting": "remote",
        "timezone": "Europe/Paris",
        "platform": "console",
        "community_id": "acme",
        "channels": {"general": "general", "moderators": "mods"},
    }
    values.update(overrides)
    return Answers(**values)  # type: ignore[arg-type]


def test_thirty_remote_employees_get_a_weekly_cafe_a_member_of_the_month_and_no_leaderboard() -> (
    None
):
    plan = recommend(community())

    names = [ritual.name for ritual in plan.rituals]
    assert "weekly-cafe" in names
    [cafe] = [ritual for ritual in plan.rituals if ritual.name == "weekly-cafe"]
    assert cafe.cron.endswith("* * 1") and cafe.thread  # Mondays, answers in a thread
    assert plan.election and plan.election_reason == "election_recognition"
    assert not plan.games and plan.games_reason == "games_colleagues"
    assert plan.game_schedules == ()
    assert plan.icebreaker and plan.caps is not None
    assert plan.digest


def test_a_five_thousand_member_public_server_gets_seasons_and_stricter_caps() -> None:
    small = recommend(community())
    plan = recommend(community(audience="public", size=5000, meeting="events"))

    assert plan.band == "large"
    assert plan.rituals
    assert plan.games and plan.games_reason == "games_seasons"
    assert {schedule.game for schedule in plan.game_schedules} == {"trivia", "poll"}
    assert plan.icebreaker and plan.caps is not None and small.caps is not None
    assert plan.caps.max_invitees < small.caps.max_invitees
    assert plan.caps.cooldown_days > small.caps.cooldown_days
    assert plan.caps.champions_weekly_cap < small.caps.champions_weekly_cap
    assert plan.eligibility is not None and small.eligibility is not None
    assert plan.eligibility.min_tenure_days > small.eligibility.min_tenure_days
    assert plan.eligibility.min_interactions > small.eligibility.min_interactions


def test_a_volunteer_association_meeting_at_events_keeps_in_touch_between_them() -> None:
    plan = recommend(community(audience="volunteers", size=80, benefit="help", meeting="events"))

    assert [ritual.name for ritual in plan.rituals] == ["between-events", "working-on"]
    assert plan.games and [schedule.game for schedule in plan.game_schedules] == ["poll"]
    assert plan.election and plan.icebreaker and plan.band == "medium"


def test_a_handful_of_members_is_left_without_games_votes_or_icebreakers() -> None:
    plan = recommend(community(audience="experts", size=8))

    assert plan.band == "tiny"
    assert not plan.games and not plan.icebreaker and not plan.election
    assert plan.caps is None and plan.eligibility is None


def test_clients_get_no_popularity_vote_and_no_moderators_channel_means_no_digest() -> None:
    plan = recommend(community(audience="clients", size=400, channels={"general": "general"}))

    assert not plan.election and plan.election_reason == "election_clients"
    assert not plan.digest and plan.digest_reason == "digest_off"
    assert "moderators" in plan.purposes()  # still worth asking for


def test_a_benefit_never_repeats_a_pool_the_rhythm_already_posts() -> None:
    plan = recommend(community(benefit="help", meeting="remote"))

    pools = [ritual.pool for ritual in plan.rituals]
    assert len(pools) == len(set(pools))


@pytest.mark.parametrize(
    ("size", "band"), [(1, "tiny"), (12, "tiny"), (13, "small"), (600, "medium"), (601, "large")]
)
def test_size_bands(size: int, band: str) -> None:
    assert size_band(size) == band


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_reason_in_the_tables_has_its_words_in_each_language(language: str) -> None:
    catalog = PROMPTS.catalog(language)
    reasons = {ritual.reason for rituals in RHYTHM.values() for ritual in rituals}
    reasons |= {ritual.reason for ritual in FOR_BENEFIT.values()}
    reasons |= {row[4] for row in GAMES} | {row[3] for row in ELECTION}
    reasons |= {reason for _, reason, _ in ICEBREAKER.values()} | {"digest_on", "digest_off"}

    missing = [reason for reason in sorted(reasons) if not catalog.has(f"init.reasons.{reason}")]

    assert missing == []


@pytest.mark.parametrize(
    "profile",
    [
        {},
        {"audience": "public", "size": 5000, "platform": "discord"},
        {"audience": "volunteers", "size": 80, "benefit": "help", "meeting": "events"},
        {"audience": "experts", "size": 8, "benefit": "learning", "language": "fr"},
        {"audience": "clients", "size": 400, "meeting": "hybrid", "platform": "slack"},
    ],
)
def test_each_profile_gives_a_file_that_loads_and_says_why(
    profile: dict[str, object], tmp_path: Path
) -> None:
    ids = {"discord": "1187654321098765432", "slack": "T0ACME", "console": "acme"}
    channels = {
        "discord": {"general": "1187654321098765500", "moderators": "1187654321098765501"},
        "slack": {"general": "C0GENERAL"},
        "console": {"general": "general", "moderators": "mods"},
    }
    platform = str(profile.get("platform", "console"))
    answers = community(
        **profile, community_id=ids[platform], channels=channels[platform], purpose="Share seeds"
    )
    plan = recommend(answers)
    catalog = PROMPTS.catalog(answers.language)

    text = config_text(answers, plan, catalog)

    settings = parse_settings(text, tmp_path / "terreau.toml")
    [loaded] = settings.communities
    assert loaded.section(GamesConfig).enabled is plan.games
    assert loaded.section(IcebreakerConfig).enabled is plan.icebreaker
    assert loaded.section(ElectionConfig).enabled is plan.election
    assert (loaded.section(ReportConfig).digest_cron is not None) is plan.digest
    assert [ritual.name for ritual in loaded.section(PostsConfig).schedules] == [
        r.name for r in plan.rituals
    ]
    comments = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    flat = " ".join(comments.replace("# ", " ").split())
    for reason in (plan.games_reason, plan.icebreaker_reason, plan.election_reason):
        assert " ".join(catalog.text(f"init.reasons.{reason}").split()) in flat
    assert "Share seeds" in comments
    assert tomllib.loads(text)["communities"][0]["language"] == answers.language
