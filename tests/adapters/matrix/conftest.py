"""Terreau on Matrix against a real Synapse: one server per session, fresh accounts per test.

The session fixture installs Synapse into `.venv-synapse` if it is missing and
starts it on 127.0.0.1. Under CI (`CI=true`) a Synapse that cannot be installed or
started fails the tests; elsewhere it skips them, saying why.

Each test registers its own bot and members, creates a space holding a `general`
and a `moderators` room, and runs a whole Terreau (SQLite, the manual clock)
whose Matrix adapter talks to that server. Members are matrix-nio clients.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from nio import AsyncClient, AsyncClientConfig, ErrorResponse, RoomPreset

from adapters.matrix import MatrixAdapter, communities_of
from adapters.matrix.render import CHOICES_KEY, render
from bot.app import App, create_app
from bot.config import parse_settings
from bot.domain import Event
from bot.prompts import Prompts
from bot.storage import Database
from bot.storage.migrate import upgrade
from tests.adapters.matrix.synapse import Account, Synapse, SynapseUnavailable, install
from tests.fakes import ManualClock, PromptLog, Rendered

PROMPTS = Prompts.load(Path(__file__).parents[3] / "prompts")
WAIT = 30.0
"""Seconds a test waits for the homeserver or the adapter before failing (never reached)."""

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    """A Synapse for the whole session, stopped at its end."""
    in_ci = os.environ.get("CI", "").lower() == "true"
    try:
        install()
        server = Synapse(tmp_path_factory.mktemp("synapse"))
        server.start()
    except (SynapseUnavailable, OSError) as error:
        if in_ci:
            pytest.fail(f"Synapse is needed under CI and could not start: {error}")
        pytest.skip(f"no Synapse here: {error}")
    try:
        yield server
    finally:
        server.stop()


class Person:
    """A member driven through matrix-nio."""

    def __init__(self, server: Synapse, account: Account) -> None:
        self.account = account
        self.user_id = account.user_id
        self.client = AsyncClient(
            server.url,
            account.user_id,
            device_id=account.device_id,
            config=AsyncClientConfig(max_limit_exceeded=0, max_timeouts=0),
        )
        self.client.access_token = account.access_token

    async def do(self, request: Any) -> Any:
        answer = await request
        assert not isinstance(answer, ErrorResponse), f"{self.user_id}: {answer}"
        return answer

    async def send(
        self, room_id: str, content: Mapping[str, Any], kind: str = "m.room.message"
    ) -> str:
        answer = await self.do(
            self.client.room_send(room_id, kind, dict(content), tx_id=uuid.uuid4().hex)
        )
        return str(answer.event_id)

    async def say(self, room_id: str, body: str, **extra: Any) -> str:
        return await self.send(room_id, {"msgtype": "m.text", "body": body, **extra})

    async def reply(self, room_id: str, event_id: str, body: str) -> str:
        return await self.say(
            room_id, body, **{"m.relates_to": {"m.in_reply_to": {"event_id": event_id}}}
        )

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        relation = {"rel_type": "m.annotation", "event_id": event_id, "key": key}
        return await self.send(room_id, {"m.relates_to": relation}, kind="m.reaction")

    async def join(self, room_id: str) -> None:
        await self.do(self.client.join(room_id))

    async def messages(self, room_id: str, sender: str) -> list[dict[str, Any]]:
        """Return `sender`'s messages in a room, oldest first (edits folded in)."""
        answer = await self.do(
            self.client.room_messages(
                room_id,
                limit=200,
                message_filter={"senders": [sender], "types": ["m.room.message"]},
            )
        )
        events = [event.source for event in reversed(answer.chunk)]
        return [
            e
            for e in events
            if (e["content"].get("m.relates_to") or {}).get("rel_type") != "m.replace"
        ]

    async def direct_rooms(self) -> list[str]:
        """Join every room the member was invited to; return the rooms they are in."""
        answer = await self.do(self.client.sync(timeout=0, full_state=True))
        for room_id in answer.rooms.invite:
            await self.join(room_id)
        joined = await self.do(self.client.joined_rooms())
        return list(joined.rooms)

    async def close(self) -> None:
        await self.client.close()


@dataclass
class Community:
    """A space with its rooms, the bot's account and the members."""

    server: Synapse
    bot: Account
    space: str
    general: str
    moderators: str
    people: dict[str, Person] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Person:
        return self.people[name]

    @property
    def rooms(self) -> tuple[str, str, str]:
        return (self.space, self.general, self.moderators)

    async def inbox(self, name: str) -> list[dict[str, Any]]:
        """Return what the bot told `name` privately, oldest first (joining invitations)."""
        person = self.people[name]
        found: list[dict[str, Any]] = []
        for room_id in await person.direct_rooms():
            if room_id not in self.rooms:
                found.extend(await person.messages(room_id, self.bot.user_id))
        return found

    async def said(self, room_id: str | None = None) -> list[dict[str, Any]]:
        """Return the bot's messages in a room (`general` by default), oldest first."""
        reader = next(iter(self.people.values()))
        return await reader.messages(room_id or self.general, self.bot.user_id)


async def make_community(
    server: Synapse, names: Sequence[str], *, moderators: Sequence[str] = ("mod",)
) -> Community:
    """Register a bot and members, create a space with two rooms, and have everyone join."""
    number = next(_numbers)
    bot = server.register(f"terreau{number}", displayname="Terreau")
    accounts = {
        name: server.register(f"{name}{number}", displayname=name.capitalize()) for name in names
    }
    owner = Person(server, bot)
    # The creator (the bot) has the highest power level; room version 12 refuses to list it.
    levels = {"users": {accounts[name].user_id: 50 for name in moderators if name in accounts}}
    invite = [account.user_id for account in accounts.values()]
    try:
        space = await owner.do(
            owner.client.room_create(
                space=True, name="Space", invite=invite, power_level_override=levels
            )
        )
        rooms = []
        for name in ("general", "moderators"):
            room = await owner.do(
                owner.client.room_create(
                    name=name,
                    invite=invite,
                    preset=RoomPreset.private_chat,
                    power_level_override=levels,
                )
            )
            await owner.do(
                owner.client.room_put_state(
                    space.room_id,
                    "m.space.child",
                    {"via": ["terreau.test"]},
                    state_key=room.room_id,
                )
            )
            rooms.append(room.room_id)
    finally:
        await owner.close()
    community = Community(
        server=server, bot=bot, space=space.room_id, general=rooms[0], moderators=rooms[1]
    )
    for name, account in accounts.items():
        person = Person(server, account)
        community.people[name] = person
        for room_id in community.rooms:
            await person.join(room_id)
    return community


CONFIG = """
database_url = "{database}"
export_dir = "{exports}"

[matrix]
homeserver = "{homeserver}"
user_id = "{user_id}"

[[communities]]
platform = "matrix"
id = "{space}"
name = "Matrix test"
timezone = "Europe/Paris"
channels = {{ general = "{general}", moderators = "{moderators}" }}
"""


class Terreau:
    """Starts and restarts a whole Terreau on one database, serving the test's community."""

    def __init__(self, community: Community, folder: Path, clock: WatchedClock) -> None:
        self.community = community
        self.folder = folder
        self.url = f"sqlite+aiosqlite:///{folder / 'terreau.db'}"
        self.clock = clock
        self.prompts = PromptLog(PROMPTS)
        self.app: App | None = None
        self.adapter: MatrixAdapter | None = None
        self.received: list[Event] = []
        self._arrived = asyncio.Condition()
        self.timeline_limit = 50

    @property
    def key(self) -> str:
        return f"matrix:{self.community.space}"

    async def start(self, extra: str = "") -> App:
        if not (self.folder / "terreau.db").exists():
            await upgrade(self.url)
        community = self.community
        settings = parse_settings(
            CONFIG.format(
                database=self.url,
                exports=self.folder / "exports",
                homeserver=community.server.url,
                user_id=community.bot.user_id,
                space=community.space,
                general=community.general,
                moderators=community.moderators,
            )
            + extra,
            self.folder / "terreau.toml",
        )
        self.adapter = MatrixAdapter(
            homeserver=settings.matrix.homeserver,
            user_id=settings.matrix.user_id,
            access_token=community.bot.access_token,
            communities=communities_of(settings),
            clock=self.clock,
            timeline_limit=self.timeline_limit,
            poll_timeout=timedelta(seconds=5),
        )
        database = await Database.connect(self.url, clock=self.clock)
        app = await create_app(
            settings,
            database=database,
            prompts=self.prompts,  # type: ignore[arg-type]
            platforms={"matrix": self.adapter},
            clock=self.clock,
        )
        receive = app.receive

        async def recorded(event: Event) -> None:
            await receive(event)
            async with self._arrived:
                self.received.append(event)
                self._arrived.notify_all()

        app.receive = recorded  # type: ignore[method-assign]
        try:
            await app.start()
        except BaseException:
            await app.stop()
            raise
        self.app = app
        return app

    async def stop(self) -> None:
        app, self.app = self.app, None
        if app is not None:
            await app.stop()

    async def seen(self, *event_ids: str) -> list[Event]:
        """Wait until the adapter delivered events with these ids (a choice has `:choice`)."""

        def found() -> bool:
            ids = {event.event_id for event in self.received}
            return all(event_id in ids for event_id in event_ids)

        async with self._arrived:
            try:
                await asyncio.wait_for(self._arrived.wait_for(found), WAIT)
            except TimeoutError:
                ids = {event.event_id for event in self.received}
                missing = [event_id for event_id in event_ids if event_id not in ids]
                raise AssertionError(f"never delivered: {missing}; got {sorted(ids)}") from None
        assert self.app is not None
        await self.app.settled()
        return [event for event in self.received if event.event_id in event_ids]

    def shown(self, content: Mapping[str, Any]) -> Rendered:
        """Return the prompt a Matrix message shows (its choices' list left out)."""
        body = str(content["body"])
        choices = content.get(CHOICES_KEY)
        if choices:
            body = "\n".join(body.split("\n")[: -len(choices)]).rstrip("\n")
        for rendered in reversed(self.prompts.rendered):
            shown = render(dataclasses.replace(rendered.post, choices=()), community=self.key)
            if shown["body"] == body:
                return rendered
        raise AssertionError(f"no prompt is shown as {body!r}; last: {self.prompts.keys()[-8:]}")

    def keys_shown(self, messages: Sequence[Mapping[str, Any]]) -> list[str]:
        return [self.shown(message["content"]).key for message in messages]


@pytest.fixture
async def community(synapse: Synapse) -> AsyncIterator[Community]:
    made = await make_community(synapse, ("alice", "bob", "carol", "mod"))
    yield made
    for person in made.people.values():
        await person.close()


class WatchedClock(ManualClock):
    """The manual clock, telling a test each time a task starts waiting on it."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.waiting = asyncio.Condition()

    async def sleep_until(self, moment: datetime) -> None:
        async with self.waiting:
            self.waiting.notify_all()
        await super().sleep_until(moment)

    async def wake_within(self, within: timedelta, *, unless: asyncio.Task[Any]) -> datetime | None:
        """Wait until a task sleeps until at most `within` from now (or `unless` ends).

        Return the latest such wake, or None if `unless` ended first.
        """
        async with self.waiting:
            await asyncio.wait_for(
                self.waiting.wait_for(lambda: unless.done() or self.next_wake(within) is not None),
                WAIT,
            )
        if self.next_wake(within) is None:
            return None
        return max(wake for wake in self._wakes if wake - self.now() <= within)


@pytest.fixture
def clock() -> WatchedClock:
    # Start on the homeserver's time: Synapse stamps events with it.
    return WatchedClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def terreau(
    community: Community, tmp_path: Path, clock: WatchedClock
) -> AsyncIterator[Terreau]:
    bot = Terreau(community, tmp_path, clock)
    yield bot
    await bot.stop()
