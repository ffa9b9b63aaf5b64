"""Unmodified discord.py, through Terreau's adapter, against the fake Discord server."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest
from discord.http import Route

from bot.domain import (
    ChannelRef,
    Choice,
    ChoiceMade,
    MemberJoined,
    MemberVerified,
    Mention,
    MessagePosted,
    Post,
    mention_marker,
)
from bot.ports import Forbidden, StartupFailed
from tests.adapters.discord.conftest import GENERAL, GUILD, KEY, MOD_ROLE, Running
from tests.adapters.discord.fake_discord import BOT_ID, FakeDiscord, payload
from tests.fakes import until

pytestmark = pytest.mark.discord

EPHEMERAL = 64
OTHER_GUILD = "1199999999999999999"


async def test_identify_sends_the_configured_intents_and_shard(
    running: Running, server: FakeDiscord
) -> None:
    await running.start(members=True, content=False)

    identify = server.identifies[0]
    intents = discord.Intents._from_value(identify["intents"])
    assert intents.members and intents.guilds and intents.guild_messages
    assert not intents.message_content and not intents.presences
    assert identify["token"] == "fake.bot.token"
    assert identify["shard"] == [0, 1]
    assert running.adapter is not None
    client = running.adapter.client
    assert client.get_guild(int(GUILD)) is not None
    # Large guilds: no member download at start-up, no member or message cache.
    assert not client._connection._chunk_guilds
    assert client._connection.member_cache_flags.value == 0
    assert client._connection.max_messages is None
    assert Route.BASE == server.api_base
    await running.stop()
    assert Route.BASE == "https://discord.com/api/v10"


async def test_commands_are_synced_to_the_configured_guild_with_french_descriptions(
    running: Running, server: FakeDiscord
) -> None:
    await running.start()

    [sync] = server.requests_to("PUT", f"/guilds/{GUILD}/commands")
    [root] = sync.body
    assert root["name"] == "terreau"
    groups = {option["name"]: option for option in root["options"]}
    assert {"help", "posts"} <= set(groups)
    now = {o["name"]: o for o in groups["posts"]["options"]}["now"]
    assert [o["name"] for o in now["options"]] == ["ritual"]
    assert now["options"][0]["required"] is True
    assert now["description_localizations"]["fr"].startswith("Publier")
    assert len(now["description"]) <= 100


async def test_a_message_in_becomes_an_event_and_a_post_goes_out_safely(
    running: Running, server: FakeDiscord
) -> None:
    app = await running.start()
    seen: list[MessagePosted] = []

    async def record(event: MessagePosted) -> None:
        seen.append(event)

    app.dispatcher.subscribe(MessagePosted, record)

    await server.dispatch("MESSAGE_CREATE", payload("message_create"))
    await until(lambda: len(seen) == 1)
    assert seen[0].community == KEY and seen[0].channel_id == GENERAL
    assert seen[0].member.display_name == "Alice"

    assert running.adapter is not None
    post = Post(
        text=f"Bravo {mention_marker(0)} ! @everyone <@&{MOD_ROLE}>",
        mentions=(Mention(member_id="1170000000000000011", display_name="Alice"),),
        choices=(Choice(id="poll:42:yes", label="Oui"), Choice(id="poll:42:no", label="Non")),
    )
    sent = await running.adapter.send(
        ChannelRef(community=KEY, channel_id=GENERAL), post, nonce="posts:question:2026-11-23"
    )

    [request] = server.requests_to("POST", f"/channels/{GENERAL}/messages")
    body = request.body
    assert (
        body["content"] == f"Bravo <@1170000000000000011> ! @\u200beveryone \\<@\u200b&{MOD_ROLE}>"
    )
    allowed = body["allowed_mentions"]
    assert allowed["parse"] == [] and "roles" not in allowed
    assert [str(user) for user in allowed["users"]] == ["1170000000000000011"]
    assert len(body["nonce"]) <= 25 and body["enforce_nonce"] is True
    buttons = body["components"][0]["components"]
    assert [(b["custom_id"], b["label"]) for b in buttons] == [
        ("poll:42:yes", "Oui"),
        ("poll:42:no", "Non"),
    ]
    assert sent.channel_id == GENERAL and sent.message_id.isdecimal()


async def test_a_retried_send_carries_the_same_nonce(running: Running, server: FakeDiscord) -> None:
    await running.start()
    assert running.adapter is not None
    where = ChannelRef(community=KEY, channel_id=GENERAL)
    for _ in range(2):
        await running.adapter.send(where, Post(text="hello"), nonce="outbox-7")

    first, second = server.requests_to("POST", f"/channels/{GENERAL}/messages")
    assert first.body["nonce"] == second.body["nonce"]


async def test_a_slash_command_reaches_the_core_and_is_answered(
    running: Running, server: FakeDiscord
) -> None:
    await running.start()

    await server.dispatch("INTERACTION_CREATE", payload("interaction_command"))
    await until(lambda: bool(server.requests_to("POST", "/interactions/")))

    [callback] = server.requests_to("POST", "/interactions/1189000000000000001/")
    assert callback.body["type"] == 4
    assert callback.body["data"]["flags"] == EPHEMERAL
    assert "question" in callback.body["data"]["content"]
    assert callback.body["data"]["allowed_mentions"] == {"parse": []}
    # The moderator's configured role let the ritual be posted now, through the outbox.
    [posted] = server.requests_to("POST", f"/channels/{GENERAL}/messages")
    assert posted.body["nonce"] and posted.body["allowed_mentions"] == {"parse": []}


async def test_a_member_without_the_role_is_refused_by_the_core(
    running: Running, server: FakeDiscord
) -> None:
    await running.start()
    command = payload("interaction_command")
    command["member"] = payload("interaction_help")["member"]

    await server.dispatch("INTERACTION_CREATE", command)
    await until(lambda: bool(server.requests_to("POST", "/interactions/")))

    [callback] = server.requests_to("POST", "/interactions/")
    assert callback.body["data"]["flags"] == EPHEMERAL
    assert "modérat" in callback.body["data"]["content"]
    assert not server.requests_to("POST", "/messages")


async def test_a_button_click_reaches_the_feature_that_owns_the_choice(
    running: Running, server: FakeDiscord
) -> None:
    app = await running.start()
    clicks: list[ChoiceMade] = []

    async def on_poll(event: ChoiceMade) -> None:
        clicks.append(event)
        await app.respond(event, Post(text="Vote counted"), private=True)

    app.on_choice("poll", on_poll)

    await server.dispatch("INTERACTION_CREATE", payload("interaction_button"))
    await until(lambda: bool(server.requests_to("POST", "/interactions/")))

    [click] = clicks
    assert click.choice_id == "poll:42:yes" and click.message_id == "1188000000000000077"
    assert click.member.id == "1170000000000000011"
    [callback] = server.requests_to("POST", "/interactions/1189000000000000003/")
    assert callback.body["type"] == 4
    assert callback.body["data"]["content"] == "Vote counted"
    assert callback.body["data"]["flags"] == EPHEMERAL


async def test_a_member_held_at_screening_is_verified_once_they_pass(
    running: Running, server: FakeDiscord
) -> None:
    app = await running.start()
    seen: list[MemberJoined | MemberVerified] = []

    async def record(event: MemberJoined | MemberVerified) -> None:
        seen.append(event)

    app.dispatcher.subscribe(MemberJoined, record)
    app.dispatcher.subscribe(MemberVerified, record)

    await server.dispatch("GUILD_MEMBER_ADD", payload("guild_member_add_pending"))
    await server.dispatch("GUILD_MEMBER_UPDATE", payload("guild_member_update_screening_passed"))
    await until(lambda: len(seen) == 2)

    joined, verified = seen
    assert isinstance(joined, MemberJoined) and joined.screening
    assert isinstance(verified, MemberVerified) and verified.community == KEY
    assert verified.member.id == joined.member.id == "1170000000000000033"


async def test_the_session_resumes_after_the_server_drops_it(
    running: Running, server: FakeDiscord
) -> None:
    app = await running.start()
    seen: list[MessagePosted] = []

    async def record(event: MessagePosted) -> None:
        seen.append(event)

    app.dispatcher.subscribe(MessagePosted, record)
    await server.drop(code=4000)
    await until(lambda: len(server.resumes) == 1)

    resume = server.resumes[0]
    assert resume["session_id"] == "fake-session-1" and resume["seq"] >= 2
    assert len(server.identifies) == 1 and server.connections == 2
    await server.dispatch("MESSAGE_CREATE", payload("message_create"))
    await until(lambda: len(seen) == 1)


async def test_a_missing_privileged_intent_stops_with_a_clear_error(
    server: FakeDiscord, tmp_path: Path
) -> None:
    server.close_on_identify = 4014
    bot = Running(server, tmp_path)

    with pytest.raises(StartupFailed) as caught:
        await bot.start(members=True)

    message = str(caught.value)
    assert "4014" in message and "Server Members Intent" in message
    assert "https://discord.com/developers/applications" in message
    assert "members_intent = false" in message


async def test_a_wrong_token_stops_with_a_clear_error(server: FakeDiscord, tmp_path: Path) -> None:
    server.token = "another.token"
    bot = Running(server, tmp_path)

    with pytest.raises(StartupFailed, match="Discord rejected DISCORD_TOKEN"):
        await bot.start()

    assert not server.identifies


async def test_direct_messages_to_a_member_with_dms_closed_are_forbidden(
    running: Running, server: FakeDiscord
) -> None:
    await running.start()
    assert running.adapter is not None

    with pytest.raises(Forbidden):
        await running.adapter.send_direct(KEY, "1170000000000000099", Post(text="hi"))
    sent = await running.adapter.send_direct(KEY, "1170000000000000011", Post(text="hi"))

    assert sent.message_id.isdecimal()


async def test_members_are_fetched_page_by_page_from_the_rest_api(
    running: Running, server: FakeDiscord
) -> None:
    member = payload("guild_member_add")
    server.members = [
        dict(member, user=dict(member["user"], id=str(1170000000000000100 + i))) for i in range(5)
    ]
    await running.start()
    assert running.adapter is not None

    first = await running.adapter.list_members(KEY, limit=2)
    second = await running.adapter.list_members(KEY, after=first[-1].id, limit=2)
    one = await running.adapter.fetch_member(KEY, "1170000000000000102")
    gone = await running.adapter.fetch_member(KEY, "1170000000000000999")

    assert [m.id for m in [*first, *second]] == [str(1170000000000000100 + i) for i in range(4)]
    assert one is not None and one.id == "1170000000000000102"
    assert gone is None
    assert server.requests_to("GET", f"/guilds/{GUILD}/members")[1].query["after"] == first[-1].id


async def test_a_guild_not_in_the_config_is_logged_and_not_served(
    running: Running, server: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    server.guilds.append(payload("guild_create_unconfigured"))
    app = await running.start()
    seen: list[MessagePosted] = []

    async def record(event: MessagePosted) -> None:
        seen.append(event)

    app.dispatcher.subscribe(MessagePosted, record)
    elsewhere = payload("message_create")
    elsewhere.update(
        guild_id=OTHER_GUILD, channel_id="1199999999999999500", id="1188000000000000111"
    )
    await server.dispatch("MESSAGE_CREATE", elsewhere)
    await server.dispatch("MESSAGE_CREATE", payload("message_create"))
    await until(lambda: len(seen) == 1)

    assert [event.community for event in seen] == [KEY]
    assert any(
        OTHER_GUILD in record.getMessage() and "not in the config" in record.getMessage()
        for record in caplog.records
    )
    assert not server.requests_to("PUT", f"/guilds/{OTHER_GUILD}/commands")
    assert payload("interaction_command")["application_id"] == BOT_ID


async def test_a_process_serves_only_the_guilds_of_its_shards(
    running: Running, server: FakeDiscord
) -> None:
    mine = (int(GUILD) >> 22) % 2
    await running.start(shards=f"shard_count = 2\nshard_ids = [{1 - mine}]")

    assert [identify["shard"] for identify in server.identifies] == [[1 - mine, 2]]
    assert not server.requests_to("PUT", "/commands")


async def test_the_process_owning_the_guild_syncs_it(running: Running, server: FakeDiscord) -> None:
    mine = (int(GUILD) >> 22) % 2
    await running.start(shards=f"shard_count = 2\nshard_ids = [{mine}]")

    assert [identify["shard"] for identify in server.identifies] == [[mine, 2]]
    assert server.requests_to("PUT", f"/guilds/{GUILD}/commands")
