"""Live sessions through discord.py on the fake server: a Guild Scheduled Event for each session."""

from __future__ import annotations

from typing import Any

import pytest

from tests.adapters.discord.conftest import GENERAL, GUILD, Running
from tests.adapters.discord.fake_discord import FakeDiscord, payload
from tests.fakes import until

pytestmark = [pytest.mark.discord, pytest.mark.live]

STAGE = "1187654321098765510"
LIVE = """
[communities.live]
enabled = true
"""


def schedule(title: str, start: str, minutes: int) -> dict[str, Any]:
    """The interaction Mo (a moderator) sends with `/terreau live schedule ...`."""
    interaction = payload("interaction_command")
    interaction["id"] = "1189000000000000095"
    interaction["data"]["options"] = [
        {
            "name": "live",
            "type": 2,
            "options": [
                {
                    "name": "schedule",
                    "type": 1,
                    "options": [
                        {"name": "title", "type": 3, "value": title},
                        {"name": "start", "type": 3, "value": start},
                        {"name": "minutes", "type": 4, "value": minutes},
                    ],
                }
            ],
        }
    ]
    return interaction


def stage_channel() -> dict[str, Any]:
    return {
        "id": STAGE,
        "type": 13,
        "guild_id": GUILD,
        "name": "scène",
        "position": 2,
        "permission_overwrites": [],
        "parent_id": None,
        "nsfw": False,
        "bitrate": 64000,
        "user_limit": 0,
        "rtc_region": None,
        "topic": None,
    }


async def announced(server: FakeDiscord) -> dict[str, Any]:
    await until(lambda: bool(server.messages.get(GENERAL)))
    [announcement] = server.messages[GENERAL]
    return announcement


async def external_event_listed(running: Running, server: FakeDiscord) -> dict[str, Any]:
    """Start Terreau with live sessions at a location, schedule one, return its event."""
    await running.start(extra=LIVE + 'location = "Salon #general"\n')
    await server.dispatch("INTERACTION_CREATE", schedule("AMA", "2026-11-24T18:00", 30))
    await until(lambda: bool(server.scheduled_events))
    [event] = server.scheduled_events.values()
    return event


async def test_a_session_on_a_stage_channel_is_listed_under_the_servers_events(
    running: Running, server: FakeDiscord
) -> None:
    server.guilds[0]["channels"].append(stage_channel())
    await running.start(extra=LIVE + 'voice_channel = "stage"\n', channels=f', stage = "{STAGE}"')

    await server.dispatch(
        "INTERACTION_CREATE", schedule("Questions aux fondateurs", "2026-11-24T18:00", 45)
    )
    await until(lambda: bool(server.scheduled_events))

    [event] = server.scheduled_events.values()
    assert (event["entity_type"], event["channel_id"], event["privacy_level"]) == (1, STAGE, 2)
    assert event["name"] == "Questions aux fondateurs"
    assert event["scheduled_start_time"] == "2026-11-24T17:00:00+00:00"  # 18:00 in Paris
    assert event["scheduled_end_time"] == "2026-11-24T17:45:00+00:00"
    announcement = await announced(server)
    [button] = [c for row in announcement["components"] for c in row["components"]]
    assert button["custom_id"] == "live:1:interested"


async def test_without_a_voice_channel_the_event_is_external_with_a_location(
    running: Running, server: FakeDiscord
) -> None:
    event = await external_event_listed(running, server)

    assert event["entity_type"] == 3 and event["channel_id"] is None
    assert event["entity_metadata"] == {"location": "Salon #general"}
    assert event["scheduled_end_time"] == "2026-11-24T17:30:00+00:00"


async def test_without_manage_events_the_session_is_still_announced(
    running: Running, server: FakeDiscord
) -> None:
    server.event_refusal = (403, 50013, "Missing Permissions")
    await running.start(extra=LIVE)

    await server.dispatch("INTERACTION_CREATE", schedule("AMA", "2026-11-24T18:00", 30))
    await announced(server)
    await until(lambda: bool(server.requests_to("POST", f"/guilds/{GUILD}/scheduled-events")))
    assert server.scheduled_events == {}


def cancel(session: int) -> dict[str, Any]:
    """The interaction Mo sends with `/terreau live cancel session:<session>`."""
    interaction = schedule("", "", 0)
    interaction["id"] = "1189000000000000096"
    interaction["data"]["options"][0]["options"] = [
        {
            "name": "cancel",
            "type": 1,
            "options": [{"name": "session", "type": 4, "value": session}],
        }
    ]
    return interaction


@pytest.mark.parametrize(
    ("before", "after"), [(1, 4), (2, 3), (3, 3)], ids=["to-come", "under-way", "over"]
)
async def test_a_cancelled_session_is_taken_off_the_servers_events(
    running: Running, server: FakeDiscord, before: int, after: int
) -> None:
    event = await external_event_listed(running, server)
    event["status"] = before  # Discord's: scheduled, active, completed

    await server.dispatch("INTERACTION_CREATE", cancel(1))

    await until(lambda: len(server.messages[GENERAL]) == 2)  # the announcement, then "cancelled"
    path = f"/guilds/{GUILD}/scheduled-events/{event['id']}"
    await until(lambda: bool(server.requests_to("GET", path)))
    await until(lambda: event["status"] == after)
    assert len(server.requests_to("PATCH", path)) == (0 if before == after else 1)


async def test_a_session_whose_event_was_deleted_is_still_cancelled(
    running: Running, server: FakeDiscord
) -> None:
    event_id = (await external_event_listed(running, server))["id"]
    del server.scheduled_events[event_id]

    await server.dispatch("INTERACTION_CREATE", cancel(1))

    await until(lambda: len(server.messages[GENERAL]) == 2)
    await until(
        lambda: bool(server.requests_to("GET", f"/guilds/{GUILD}/scheduled-events/{event_id}"))
    )
    assert not server.requests_to("PATCH", f"/guilds/{GUILD}/scheduled-events/{event_id}")
