"""The registry finds every feature folder, in the order the features declare."""

from __future__ import annotations

import pytest

from bot.features import registry

pytestmark = pytest.mark.core


def test_every_feature_folder_is_found_in_its_declared_order() -> None:
    assert [feature.name for feature in registry()] == [
        "help",
        "privacy",
        "posts",
        "games",
        "election",
        "groups",
        "holdup",
        "invites",
        "icebreaker",
        "cafe",
        "live",
        "me",
        "report",
    ]


def test_the_check_hooks_belong_to_the_features_that_schedule_things() -> None:
    checked = {feature.name for feature in registry() if feature.check is not None}
    assert checked == {"posts", "games", "election", "invites"}
