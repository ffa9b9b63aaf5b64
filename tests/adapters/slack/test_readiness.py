"""Readiness on Slack: the Socket Mode connection, or the HTTP server, as the adapter sees it."""

from __future__ import annotations

import pytest

from tests.adapters.slack.conftest import SlackTerreau
from tests.fakes import until

pytestmark = [pytest.mark.slack, pytest.mark.ops]


async def test_socket_mode_is_ready_while_the_socket_is_open(
    socket_terreau: SlackTerreau,
) -> None:
    await until(lambda: bool(socket_terreau.fake.sockets))
    assert await socket_terreau.adapter.connected()
    assert (await socket_terreau.app.readiness())["platform:slack"] is True

    await socket_terreau.adapter.stop()

    assert not await socket_terreau.adapter.connected()


async def test_http_mode_is_ready_while_the_server_listens(http_terreau: SlackTerreau) -> None:
    assert await http_terreau.adapter.connected()

    await http_terreau.adapter.stop()

    assert not await http_terreau.adapter.connected()
    assert (await http_terreau.app.readiness())["platform:slack"] is False
