"""A feature's config section, declared from the feature alone, as the next features will.

The feature here lives in this test: registering it is all it takes for its table
`[communities.mood]` to be validated with the rest of the file (every problem at
once, each with its key path and line), and read with `community.section(...)`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from pydantic import Field, StrictBool, StrictInt

import bot.features
from bot.config import (
    CommunityConfig,
    ConfigError,
    ConfigModel,
    KeyPath,
    Slug,
    parse_settings,
)
from bot.feature import ConfigSection, Feature, FeatureContext
from bot.features import registry

pytestmark = pytest.mark.core


class MoodConfig(ConfigModel):
    """A made-up feature's table: every field has a default."""

    enabled: StrictBool = False
    channel: Slug = "general"
    hours: StrictInt = Field(default=2, ge=1)


def mood_findings(community: Mapping[str, object]) -> list[tuple[KeyPath, str]]:
    mood = community.get("mood")
    channels = community.get("channels", {})
    if not isinstance(mood, Mapping) or not isinstance(channels, Mapping):
        return []
    channel = mood.get("channel", "general")
    if isinstance(channel, str) and channel not in channels:
        return [(("mood", "channel"), f'channel "{channel}" is not a configured purpose')]
    return []


def _setup(_app: FeatureContext) -> None:
    return None


MOOD = Feature(
    name="mood", order=90, setup=_setup, config=ConfigSection("mood", MoodConfig, mood_findings)
)

COMMUNITY = """\
[[communities]]
platform = "console"
id = "demo"
name = "Demo"
channels = { general = "general", lounge = "lounge" }
"""


@pytest.fixture
def mood() -> Iterator[None]:
    features = [*registry(), MOOD]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bot.features, "registry", lambda: features)
        yield


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, Path("terreau.toml"))
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.usefixtures("mood")
def test_the_section_reads_as_its_model() -> None:
    text = COMMUNITY + '\n[communities.mood]\nenabled = true\nchannel = "lounge"\nhours = 5\n'
    community = parse_settings(text, Path("terreau.toml")).communities[0]
    assert community.section(MoodConfig) == MoodConfig(enabled=True, channel="lounge", hours=5)


@pytest.mark.usefixtures("mood")
def test_an_absent_section_reads_as_the_defaults() -> None:
    community = parse_settings(COMMUNITY, Path("terreau.toml")).communities[0]
    assert community.section(MoodConfig) == MoodConfig()


@pytest.mark.usefixtures("mood")
def test_every_problem_of_the_section_and_the_core_is_reported_with_its_line() -> None:
    text = COMMUNITY + (
        'timezone = "Europe/Pariss"\n\n[communities.mood]\nchannel = "attic"\nhours = 0\nhour = 3\n'
    )
    assert problems(text) == [
        'line 6, communities[0].timezone: unknown timezone "Europe/Pariss" '
        '(did you mean "Europe/Paris"?)',
        'line 9, communities[0].mood.channel: channel "attic" is not a configured purpose',
        "line 10, communities[0].mood.hours: must be at least 1, got 0",
        "line 11, communities[0].mood.hour: unknown key 'hour' (did you mean 'hours'?)",
    ]


@pytest.mark.usefixtures("mood")
def test_a_misspelt_section_is_an_unknown_key_with_a_suggestion() -> None:
    assert problems(COMMUNITY + "\n[communities.moood]\nenabled = true\n") == [
        "line 7, communities[0].moood: unknown key 'moood' (did you mean 'mood'?)"
    ]


@pytest.mark.usefixtures("mood")
def test_a_community_built_in_code_takes_the_section_by_its_key() -> None:
    community = CommunityConfig(
        platform="console",
        id="demo",
        name="Demo",
        channels={"general": "general"},
        mood=MoodConfig(hours=3),
    )
    assert community.section(MoodConfig).hours == 3


def test_without_the_feature_its_table_is_an_unknown_key() -> None:
    assert problems(COMMUNITY + "\n[communities.mood]\nenabled = true\n") == [
        "line 7, communities[0].mood: unknown key 'mood'"
    ]
    community = parse_settings(COMMUNITY, Path("terreau.toml")).communities[0]
    with pytest.raises(KeyError, match="MoodConfig"):
        community.section(MoodConfig)


def test_two_features_cannot_declare_the_same_section() -> None:
    twin = Feature(name="twin", order=91, setup=_setup, config=ConfigSection("mood", MoodConfig))
    features = [*registry(), MOOD, twin]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bot.features, "registry", lambda: features)
        with pytest.raises(TypeError, match="feature 'twin' declares the config section 'mood'"):
            parse_settings(COMMUNITY, Path("terreau.toml"))
        with pytest.raises(TypeError, match="feature 'twin'"):
            CommunityConfig(platform="console", id="demo", name="Demo")
