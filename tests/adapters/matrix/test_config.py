"""`platform = "matrix"` in the operator's config: validated, and turned into the adapter."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.matrix import MatrixAdapter, communities_of, matrix_platform
from bot.config import ConfigError, Secrets, Settings, check_secrets, parse_settings
from tests.fakes import ManualClock

pytestmark = pytest.mark.matrix

MATRIX = """
[matrix]
homeserver = "https://matrix.example.org/"
user_id = "@terreau:example.org"
command_prefix = "!bot"

[[communities]]
platform = "matrix"
id = "!space:example.org"
name = "Space"
channels = {{ general = "{general}" }}
"""


def settings(text: str = MATRIX, general: str = "!general:example.org") -> Settings:
    return parse_settings(text.format(general=general), Path("terreau.toml"))


def test_a_space_community_becomes_the_adapter_with_the_token_from_the_environment() -> None:
    loaded = settings()
    assert loaded.matrix.homeserver == "https://matrix.example.org"
    (community,) = communities_of(loaded)
    assert (community.key, community.space_id, community.rooms, community.home) == (
        "matrix:!space:example.org",
        "!space:example.org",
        ("!general:example.org",),
        "!space:example.org",
    )
    secrets = Secrets.from_env({"MATRIX_ACCESS_TOKEN": "syt_secret"})
    check_secrets(loaded, secrets)
    adapter = matrix_platform(loaded, secrets, ManualClock(datetime(2026, 12, 1, tzinfo=UTC)))
    assert isinstance(adapter, MatrixAdapter)
    assert "syt_secret" not in repr(adapter) and "syt_secret" in secrets.values()


def test_the_access_token_is_required() -> None:
    with pytest.raises(ConfigError, match="MATRIX_ACCESS_TOKEN"):
        check_secrets(settings(), Secrets.from_env({}))


def test_a_room_id_that_is_not_one_is_named() -> None:
    with pytest.raises(ConfigError, match=r"channels.general.*a Matrix room id"):
        settings(general="#general:example.org")


def test_a_matrix_community_needs_the_bots_user_id() -> None:
    text = MATRIX.replace('user_id = "@terreau:example.org"\n', "")
    with pytest.raises(ConfigError, match=r"matrix.user_id"):
        settings(text)


def test_a_community_without_a_space_is_its_rooms() -> None:
    text = MATRIX.replace('id = "!space:example.org"', 'id = "friends"')
    (community,) = communities_of(settings(text))
    assert (community.space_id, community.home) == (None, "!general:example.org")
