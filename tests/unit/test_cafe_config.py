"""The café's config section: off by default, every key defaulted, bad values named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.features.cafe import CafeConfig, cafe_findings

pytestmark = pytest.mark.cafe


def test_cafes_are_off_with_every_key_defaulted() -> None:
    config = CafeConfig()

    assert not config.enabled
    assert (config.channel, config.group_size, config.schedule) == ("cafe", 2, "0 10 * * 1")


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"schedule": "every monday"}, "invalid cron expression"),
        ({"group_size": 1}, "greater than or equal to 2"),
        ({"channel": "Café"}, "expected a slug"),
        ({"checkin_days": 0}, "greater than or equal to 1"),
        ({"pairs": 2}, "Extra inputs are not permitted"),
    ],
)
def test_a_bad_value_is_refused_with_its_reason(values: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        CafeConfig.model_validate(values)


def test_an_enabled_cafe_needs_its_channel_among_the_purposes() -> None:
    community: dict[str, object] = {"channels": {"general": "g"}, "cafe": {"enabled": True}}

    assert cafe_findings(community) == [
        (("cafe", "channel"), 'channel "cafe" is not a configured purpose (configured: general)')
    ]
    assert cafe_findings({**community, "channels": {"cafe": "c"}}) == []
    assert cafe_findings({"channels": {}, "cafe": {"enabled": False}}) == []
