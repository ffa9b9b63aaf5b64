"""What a feature declares, and the narrow context it gets to do its work.

A feature is a package `bot/features/<name>/` whose `__init__` holds one
`FEATURE = Feature(...)`. The composition root finds every such object through
`bot.features.registry()` and calls its `setup(context)`; the command line asks
each one for the lines `terreau check` prints. A feature never imports the
composition root: it sees the services below through `FeatureContext`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.config import ConfigSection

if TYPE_CHECKING:
    from bot.commands import CommandRegistry
    from bot.config import CommunityConfig, Settings
    from bot.delivery import Delivery
    from bot.dispatch import Dispatcher
    from bot.domain import ChannelMention, ChannelRef, ChoiceMade, CommandInvoked, Post
    from bot.personal_data import PersonalData
    from bot.ports import ChatPlatform, Clock
    from bot.prompts import Catalog, Prompts
    from bot.scheduling import Job
    from bot.storage import InteractionRow, UnitOfWork

ChoiceHandler = Callable[["ChoiceMade"], Awaitable[None]]


class Store(Protocol):
    """Transactions on the database, for features.

    `fresh=True` first waits until every event received so far is written to the
    interaction log: a read of the log (activity, questions, departures) asks
    for it, and then never sees a stale log.
    """

    def transaction(
        self, *, fresh: bool = False
    ) -> AbstractAsyncContextManager[UnitOfWork]:  # pragma: no cover - protocol
        """Open a read-write unit of work."""
        ...

    def read(
        self, *, fresh: bool = False
    ) -> AbstractAsyncContextManager[UnitOfWork]:  # pragma: no cover - protocol
        """Open a read-only unit of work."""
        ...


class Jobs(Protocol):
    """The scheduler as features see it: add jobs, and ask when they run next."""

    def add(self, job: Job) -> None:
        """Schedule `job`; its id must not be scheduled already."""
        ...

    def next_runs(self, job_id: str, count: int) -> list[datetime]:
        """Return a job's next `count` scheduled instants after now (aware UTC)."""
        ...


class FeatureContext(Protocol):
    """Everything a feature reaches: config, clock, storage, jobs, commands and replies."""

    @property
    def settings(self) -> Settings:
        """Return the operator's settings."""
        ...

    @property
    def clock(self) -> Clock:
        """Return the injected clock."""
        ...

    @property
    def communities(self) -> dict[str, CommunityConfig]:
        """Return the configured communities by key."""
        ...

    @property
    def store(self) -> Store:
        """Return the database transactions, settling the interaction log on request."""
        ...

    @property
    def jobs(self) -> Jobs:
        """Return the scheduler's feature-facing side."""
        ...

    @property
    def delivery(self) -> Delivery:
        """Return the outbox-backed sender of posts."""
        ...

    @property
    def dispatcher(self) -> Dispatcher:
        """Return the event dispatcher, to subscribe handlers."""
        ...

    @property
    def commands(self) -> CommandRegistry:
        """Return the command registry, to declare `/terreau` commands."""
        ...

    @property
    def personal_data(self) -> list[PersonalData]:
        """Return every kind of personal data the features declared."""
        ...

    def community_id(self, key: str) -> int:
        """Return the database id of a configured community."""
        ...

    def known_community_id(self, key: str) -> int | None:
        """Return the database id of a community if it is stored, else None."""
        ...

    async def record(self, row: InteractionRow) -> None:
        """Append a row of the feature's own to the interaction log (batched)."""
        ...

    def catalog(self, community_key: str) -> Catalog:
        """Return the prompts in the community's language."""
        ...

    def platform(self, community_key: str) -> ChatPlatform:
        """Return the adapter serving a community."""
        ...

    def channel(self, community_key: str, purpose: str) -> ChannelRef:
        """Return the channel configured for `purpose`."""
        ...

    def channel_if_configured(self, community_key: str, purpose: str) -> ChannelRef | None:
        """Return the channel configured for an optional purpose."""
        ...

    def channel_mention(self, community_key: str, purpose: str) -> ChannelMention:
        """Return the channel configured for `purpose` as a reference a post can show."""
        ...

    def on_choice(self, feature: str, handler: ChoiceHandler) -> None:
        """Route clicks whose choice id starts with `feature:` to `handler`."""
        ...

    def holds_personal_data(self, *kinds: PersonalData) -> None:
        """Declare tables that hold data about members."""
        ...

    async def reply(
        self,
        event: CommandInvoked | ChoiceMade,
        key: str,
        *,
        private: bool = True,
        **variables: object,
    ) -> None:
        """Answer a command or click with the prompt `key`."""
        ...

    async def respond(
        self, event: CommandInvoked | ChoiceMade, post: Post, *, private: bool = True
    ) -> None:
        """Answer a command or click with a ready-made post."""
        ...


CommunityLines = Callable[["CommunityConfig"], list[str]]
Check = Callable[["Settings", datetime], CommunityLines]
ContentProblems = Callable[["Settings", "Prompts"], list[tuple[str, str]]]

__all__ = [
    "Check",
    "ChoiceHandler",
    "CommunityLines",
    "ConfigSection",
    "ContentProblems",
    "Feature",
    "FeatureContext",
    "Jobs",
    "Store",
    "by_order",
]


@dataclass(frozen=True, kw_only=True)
class Feature:
    """One capability, as its folder declares it to the core.

    `order` places the feature among the others (help lists command groups, and
    exports list personal data, in that order). `config` declares the feature's
    table under each `[[communities]]`, read with `community.section(Model)`.
    `setup` registers commands, clicks, event handlers, jobs, personal-data kinds
    and report figures through the context. `content_problems` returns the config
    keys that name content the prompts lack, as (key path, message) pairs;
    `validate` loads the feature's own content files and raises `PromptError` on a
    bad one; both run whenever the config is loaded for a command. `check` runs
    before `terreau check` prints anything and returns the lines to print for a
    community.
    """

    name: str
    order: int
    setup: Callable[[FeatureContext], None]
    config: ConfigSection | None = None
    check: Check | None = None
    check_order: int | None = None
    content_problems: ContentProblems | None = None
    validate: Callable[[Settings], object] | None = None


def by_order(features: Mapping[str, Feature]) -> list[Feature]:
    """Return the features sorted by their declared order, then name."""
    return sorted(features.values(), key=lambda feature: (feature.order, feature.name))
