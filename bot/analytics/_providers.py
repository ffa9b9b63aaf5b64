"""Figures other features contribute: a registry of named metric providers.

A provider is an async function of (unit of work, scope, period) that returns
figures whose `key` is a prompt key (e.g. `games.report.players`, with the same
key in every language). The scope is a whole community (`scope.community_id`);
its excluded members (`scope.exclude`, moderators say) count in no figure:
`scope.keeps(column)` is the SQL condition, `scope.counts(member_id)` the test.
Reports call every registered provider for the period and the one before, and
match figures by key and `subject` to show the change. A provider may say which
communities it serves (those where its feature is enabled); callers that know the
community's config ask `serving(community)`. Two providers ship here: ritual
response rates and button clicks.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import literal_column, select

from bot.analytics._figures import Figure, share
from bot.analytics._period import Period
from bot.analytics._scope import Scope, human
from bot.storage import UnitOfWork
from bot.storage.models import InteractionLogRow, OutboxRow

if TYPE_CHECKING:
    from bot.config import CommunityConfig

log = logging.getLogger(__name__)

MetricProvider = Callable[[UnitOfWork, Scope, Period], Awaitable[Sequence[Figure]]]
Serves = Callable[["CommunityConfig"], bool]
RESPONSE_WINDOW = timedelta(hours=24)
_outbox = OutboxRow.__table__.c
_log = InteractionLogRow.__table__.c


class MetricRegistry:
    """Named metric providers, called in the order they were registered."""

    def __init__(self) -> None:
        self._providers: dict[str, MetricProvider] = {}
        self._serves: dict[str, Serves] = {}

    def register(
        self, name: str, provider: MetricProvider, *, serves: Serves | None = None
    ) -> None:
        """Add (or replace) the provider called `name`; features call this in `setup(app)`.

        `serves` tells, from a community's config, whether the provider has anything
        to say there (its feature is enabled); without it, it serves every community.
        """
        self._providers[name] = provider
        if serves is None:
            self._serves.pop(name, None)
        else:
            self._serves[name] = serves

    def names(self) -> list[str]:
        """Return the registered names, in order."""
        return list(self._providers)

    def serving(self, community: CommunityConfig) -> MetricRegistry:
        """Return the providers that serve `community`, in the same order."""
        chosen = MetricRegistry()
        for name, provider in self._providers.items():
            serves = self._serves.get(name)
            if serves is None or serves(community):
                chosen.register(name, provider, serves=serves)
        return chosen

    def __iter__(self) -> Iterator[tuple[str, MetricProvider]]:
        return iter(list(self._providers.items()))


async def ritual_response_rates(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
    """Return, per ritual, the share of its posts in the period answered within 24 hours.

    An answer is a member message replying to the post, in its thread, or (when the
    post has no thread) anywhere in its channel, as the dead-channel check counts;
    an excluded member's message is not one.
    """
    community_id = scope.community_id
    stmt = (
        select(
            _outbox.job_id,
            _outbox.channel_id,
            _outbox.message_id,
            _outbox.sent_thread_id,
            _outbox.sent_at,
        )
        .where(
            _outbox.community_id == community_id,
            _outbox.job_id.like("posts:%"),
            _outbox.status == "sent",
            _outbox.sent_at >= period.since,
            _outbox.sent_at < period.until,
            _outbox.message_id.is_not(None),
        )
        .order_by(_outbox.sent_at)
    )
    tallies: dict[str, list[int]] = {}
    for job_id, channel_id, message_id, thread_id, sent_at in await uow.connection.execute(stmt):
        ritual = str(job_id).rsplit(":", 1)[-1]
        answers = await uow.interactions.count_responses(
            community_id,
            channel_id=channel_id,
            message_id=message_id,
            thread_id=thread_id,
            since=sent_at,
            until=sent_at + RESPONSE_WINDOW,
            exclude=scope.exclude,
        )
        tally = tallies.setdefault(ritual, [0, 0])
        tally[0] += 1
        tally[1] += 1 if answers else 0
    return [
        Figure(
            key="report.figures.ritual_response_rate",
            value=share(answered, posts),
            unit="share",
            variables={"ritual": ritual, "posts": posts, "answered": answered},
            subject=ritual,
        )
        for ritual, (posts, answered) in sorted(tallies.items())
    ]


async def clicks_by_feature(uow: UnitOfWork, scope: Scope, period: Period) -> list[Figure]:
    """Return, per feature (the first part of a choice id), how many members clicked."""
    stmt = (
        select(_log.target, _log.member_id)
        .where(
            _log.community_id == scope.community_id,
            _log.kind == literal_column("'choice'"),  # literal: the partial index's condition
            _log.occurred_at >= period.since,
            _log.occurred_at < period.until,
            _log.member_id.is_not(None),
            scope.keeps(_log.member_id),
            human(InteractionLogRow.__table__),
        )
        .distinct()
    )
    members: dict[str, set[str]] = {}
    for target, member_id in await uow.connection.execute(stmt):
        feature = str(target or "").split(":", 1)[0]
        if feature:
            members.setdefault(feature, set()).add(member_id)
    return [
        Figure(
            key="report.figures.clicks",
            value=len(clicked),
            variables={"feature": feature},
            subject=feature,
        )
        for feature, clicked in sorted(members.items())
    ]


METRICS = MetricRegistry()
"""The providers every report calls; features add theirs with `METRICS.register`."""
METRICS.register("rituals", ritual_response_rates)
METRICS.register("clicks", clicks_by_feature)

__all__ = ["METRICS", "MetricProvider", "MetricRegistry", "Serves"]
