"""The composition root: config in, a running bot out.

Everything is wired here and only here: storage, the interaction log, the
scheduler, the command registry, the features and the platform adapters.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.commands import CommandContext, CommandProblem, CommandRegistry, is_moderator
from bot.config import CommunityConfig, Settings
from bot.delivery import Delivery
from bot.dispatch import Dispatcher
from bot.domain import ChannelMention, ChannelRef, ChoiceMade, CommandInvoked, Event, Post
from bot.feature import ChoiceHandler
from bot.features import registry
from bot.logs import tag_community, untag_community
from bot.observability import HealthServer, Metrics, ObservedSends, readiness
from bot.personal_data import PersonalData
from bot.platform_state import StoredPlatformState
from bot.ports import ChatPlatform, Clock, PlatformError, StatefulPlatform
from bot.prompts import Catalog, Prompts
from bot.scheduling import Scheduler
from bot.storage import (
    CommunityDirectory,
    Database,
    DeliveryClaims,
    InteractionRecorder,
    InteractionRow,
    InteractionWriter,
    Store,
)

log = logging.getLogger(__name__)


class _LedgerHistory:
    """The scheduler's view of the run ledger: when did a job last run."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def last_run(self, job_id: str) -> datetime | None:
        """Return the latest scheduled instant claimed for `job_id`."""
        async with self._database.read() as uow:
            return await uow.ledger.last_run(job_id)


@dataclass(kw_only=True, eq=False)
class App:
    """One running Terreau: the services every feature reaches through `setup(app)`."""

    settings: Settings
    clock: Clock
    database: Database
    prompts: Prompts
    platforms: Mapping[str, ChatPlatform]
    communities: dict[str, CommunityConfig]
    writer: InteractionWriter
    scheduler: Scheduler
    delivery: Delivery
    directory: CommunityDirectory
    dispatcher: Dispatcher = field(default_factory=Dispatcher)
    commands: CommandRegistry = field(default_factory=CommandRegistry)
    choice_handlers: dict[str, ChoiceHandler] = field(default_factory=dict)
    personal_data: list[PersonalData] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    health: HealthServer | None = None
    started: bool = False

    def community_id(self, key: str) -> int:
        """Return the database id of a configured community (stored at start-up)."""
        community_id = self.directory.cached(key)
        if community_id is None:
            raise KeyError(f"community {key} is not configured")
        return community_id

    @functools.cached_property
    def store(self) -> Store:
        """Return the features' transactions, which settle the log when asked to."""
        return Store(self.database, self.writer.flush)

    @property
    def jobs(self) -> Scheduler:
        """Return the scheduler, where features add their jobs."""
        return self.scheduler

    def known_community_id(self, key: str) -> int | None:
        """Return the database id of a community if it is stored, else None."""
        return self.directory.cached(key)

    async def record(self, row: InteractionRow) -> None:
        """Append a row to the interaction log through the batched writer."""
        await self.writer.submit(row)

    def catalog(self, community_key: str) -> Catalog:
        """Return the prompts in the community's language."""
        return self.prompts.catalog(self.communities[community_key].language)

    def platform(self, community_key: str) -> ChatPlatform:
        """Return the adapter serving a community."""
        return self.platforms[self.communities[community_key].platform]

    def channel(self, community_key: str, purpose: str) -> ChannelRef:
        """Return the channel configured for `purpose` (config validation guarantees it)."""
        channel = self.channel_if_configured(community_key, purpose)
        if channel is None:
            raise KeyError(f"{community_key} has no channel for purpose {purpose!r}")
        return channel

    def channel_if_configured(self, community_key: str, purpose: str) -> ChannelRef | None:
        """Return the channel configured for an optional purpose such as `moderators`."""
        channel_id = self.communities[community_key].channels.get(purpose)
        if channel_id is None:
            return None
        return ChannelRef(community=community_key, channel_id=channel_id)

    def channel_mention(self, community_key: str, purpose: str) -> ChannelMention:
        """Return the channel configured for `purpose` as a reference a post can show."""
        return ChannelMention(
            channel_id=self.channel(community_key, purpose).channel_id, name=purpose
        )

    def on_choice(self, feature: str, handler: ChoiceHandler) -> None:
        """Route clicks whose choice id starts with `feature:` to `handler`."""
        if feature in self.choice_handlers:
            raise ValueError(f"choices of {feature!r} already have a handler")
        self.choice_handlers[feature] = handler

    def holds_personal_data(self, *kinds: PersonalData) -> None:
        """Declare tables that hold data about members, for members' data requests."""
        known = {kind.name for kind in self.personal_data}
        for kind in kinds:
            if kind.name in known:
                raise ValueError(f"personal data {kind.name!r} is already declared")
            known.add(kind.name)
            self.personal_data.append(kind)

    async def reply(
        self,
        event: CommandInvoked | ChoiceMade,
        key: str,
        *,
        private: bool = True,
        **variables: object,
    ) -> None:
        """Answer a command or click with the prompt `key`, privately by default."""
        await self.respond(event, self._render(event, key, variables), private=private)

    def _render(
        self, event: CommandInvoked | ChoiceMade, key: str, variables: Mapping[str, object]
    ) -> Post:
        catalog = self.catalog(event.community)
        return catalog.post(key, member=event.member.display_name, **variables)

    async def respond(
        self, event: CommandInvoked | ChoiceMade, post: Post, *, private: bool = True
    ) -> None:
        """Answer a command or click with a ready-made post."""
        platform = self.platform(event.community)
        try:
            await platform.respond(event, post, private=private)
        except PlatformError as error:
            self.metrics.platform_error(platform.name, error)
            log.warning("could not answer %s in %s: %s", event.event_id, event.community, error)

    async def start(self) -> None:
        """Start the log writer and platforms, finish pending sends, start the scheduler.

        Platforms come first: a pending post, or a ritual due at start-up, is sent
        through a connected platform, not failed against one still connecting.
        """
        if self.health is not None:
            await self.health.start()  # first, so probes see a start-up that hangs
        await self.writer.start()
        for platform in self.platforms.values():
            await platform.start(self.receive)
        await self.delivery.deliver_pending()
        self.delivery.watch()
        await self.scheduler.start()
        self.started = True
        for community in self.communities.values():
            notice = self.settings.unread_text_notice(community)
            if notice is not None:
                log.info("%s (%s): %s", community.key, community.name, notice)
        log.info(
            "Terreau started: %d communities, %d scheduled jobs, platforms: %s",
            len(self.communities),
            len(self.scheduler.jobs()),
            ", ".join(sorted(self.platforms)) or "none",
        )

    async def settled(self) -> None:
        """Return once nothing is left to do at the clock's now: due runs done, the log written.

        A replayed script waits for this before each line and before moving its
        virtual clock, so what happens never depends on the machine's speed.
        """
        await self.scheduler.idle()
        await self.writer.flush()

    def next_due(self) -> datetime | None:
        """Return the next instant something is scheduled to happen, if anything is."""
        return self.scheduler.next_due()

    async def receive(self, event: Event) -> None:
        """Take an event from a platform: count it, and dispatch it with its community logged."""
        self.metrics.event_received(event.community.split(":", 1)[0], type(event).__name__)
        tag = tag_community(event.community)
        try:
            await self.dispatcher.dispatch(event)
        finally:
            untag_community(tag)

    async def readiness(self) -> dict[str, bool]:
        """Return each readiness check: started, database, scheduler, each platform."""
        return await readiness(
            started=self.started,
            database=self.database,
            scheduler=self.scheduler,
            platforms=self.platforms,
        )

    async def stop(self) -> None:
        """Stop platforms, scheduler and writer (flushing the log), then close storage."""
        self.started = False
        await self.delivery.stop()
        for platform in self.platforms.values():
            try:
                await platform.stop()
            except Exception:
                log.exception("stopping %s failed", platform.name)
        await self.scheduler.stop()
        await self.writer.stop()
        if self.health is not None:
            await self.health.stop()
        await self.database.close()

    async def _count_command(self, event: CommandInvoked) -> None:
        self.metrics.command(event.group, lambda group: group in self.commands.groups())

    async def _run_command(self, event: CommandInvoked) -> None:
        community = self.communities.get(event.community)
        if community is None:
            return
        moderator = is_moderator(event.member, community.moderator_roles)
        try:
            command, options = self.commands.bind(event, moderator=moderator)
        except CommandProblem as problem:
            await self.respond(event, self._render(event, problem.key, problem.variables))
            return
        context = CommandContext(
            event=event, options=options, reply=functools.partial(self.reply, event)
        )
        try:
            await command.handler(context)
        except Exception:
            log.exception("/terreau %s failed for %s", command.name, event.community)
            await self.reply(event, "messages.commands.failed", command=command.usage())

    async def _route_choice(self, event: ChoiceMade) -> None:
        handler = self.choice_handlers.get(event.feature)
        if handler is None:
            log.info("click on %r has no handler (feature removed?)", event.choice_id)
            await self.reply(event, "messages.choices.expired")
            return
        await handler(event)


async def create_app(
    settings: Settings,
    *,
    database: Database,
    prompts: Prompts,
    platforms: Mapping[str, ChatPlatform],
    clock: Clock,
    offline: bool = False,
    commands: CommandRegistry | None = None,
    metrics: Metrics | None = None,
) -> App:
    """Wire every service and feature for `settings`; call `start()` to run it.

    An `offline` app is never started: command-line tools use it to reach the
    features' storage and declarations without any platform. `commands` lets an
    adapter built before the app (Discord's command tree) see the commands the
    features declare; `metrics` lets it report its gateway sessions.
    """
    metrics = metrics if metrics is not None else Metrics()
    communities = {community.key: community for community in settings.communities}
    missing = sorted({c.platform for c in communities.values()} - set(platforms))
    if missing and not offline:
        raise ValueError(f"no adapter running for platform(s): {', '.join(missing)}")
    directory = CommunityDirectory(database)
    for community in communities.values():
        await directory.ensure(community.community())
    writer = InteractionWriter(
        database,
        batch_size=settings.ingest.batch_size,
        flush_interval=settings.ingest.flush_interval_ms / 1000,
        queue_size=settings.ingest.queue_size,
        observer=metrics,
    )
    metrics.watch_queue(lambda: writer.queued)
    sends = {name: ObservedSends(platform, metrics) for name, platform in platforms.items()}

    def platform_for(community_key: str) -> ChatPlatform:
        return sends[communities[community_key].platform]

    delivery = Delivery(database, platform_for, clock)
    kept = StoredPlatformState(database, directory, settle=writer.flush)
    for platform in platforms.values():
        if isinstance(platform, StatefulPlatform):
            platform.keep_state_in(kept)
    app = App(
        settings=settings,
        clock=clock,
        database=database,
        prompts=prompts,
        platforms=platforms,
        communities=communities,
        writer=writer,
        scheduler=Scheduler(
            clock,
            history=_LedgerHistory(database),
            workers=settings.scheduler.workers,
            observer=metrics,
        ),
        delivery=delivery,
        directory=directory,
        dispatcher=Dispatcher(
            claims=DeliveryClaims(database, directory), claimed=(CommandInvoked, ChoiceMade)
        ),
        commands=commands if commands is not None else CommandRegistry(),
        metrics=metrics,
    )
    address = settings.observability.address()
    if address is not None and not offline:
        app.health = HealthServer(
            host=address[0], port=address[1], metrics=metrics, readiness=app.readiness
        )
    store_content = settings.ingest.store_content
    recorder = InteractionRecorder(writer, directory, store_content=lambda _key: store_content)
    app.dispatcher.subscribe(Event, recorder.record)
    app.dispatcher.subscribe(CommandInvoked, app._count_command)
    app.dispatcher.subscribe(CommandInvoked, app._run_command)
    app.dispatcher.subscribe(ChoiceMade, app._route_choice)
    for feature in registry():
        feature.setup(app)
    return app
