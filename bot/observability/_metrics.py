"""Terreau's Prometheus metrics, in a registry of their own (one per app).

Labels carry only bounded, non-personal values: platform names, event kinds,
job kinds (`posts`, `election`...), command groups, outcomes and status classes.
Never a member id or name, never a community key (a deployment may serve ten
thousand communities; per-community figures are what `/terreau report` is for).

The core reports through narrow hooks, each a method here: the app's event sink
(`event_received`, `command`), the interaction writer (`batch_written`, and the
queue depth read at scrape time), the scheduler (`run_finished`), sends through
the outbox (`platform_error`, `send_retried`) and the Discord gateway (`session`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from bot.ports import Forbidden, NotFound, PlatformError, RateLimited, Unavailable

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENESS_BUCKETS = (0.1, 1, 5, 15, 60, 300, 900, 3600, 7200)
BATCH_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
UNKNOWN_GROUP = "unknown"


def error_status(error: PlatformError) -> str:
    """Return the status class of a port error: 403, 404, 429, 5xx or other."""
    if isinstance(error, Forbidden):
        return "403"
    if isinstance(error, NotFound):
        return "404"
    if isinstance(error, RateLimited):
        return "429"
    if isinstance(error, Unavailable):
        return "5xx"
    return "other"


def job_kind(job_id: str) -> str:
    """Return the kind of a scheduled job (`posts`, `election`...): its id up to the first `:`."""
    return job_id.split(":", 1)[0]


class EventCounts(Collector):
    """`terreau_events_received`: plain counts, read when the metrics are scraped.

    Counted for every event a platform delivers, so without the lock a Prometheus
    `Counter` takes on each increment (1.3 against 0.2 us). The counts are
    changed and read on the event loop's thread: the health server scrapes there.
    """

    NAME = "terreau_events_received"
    HELP = "Events received from the platforms, before duplicates are dropped."

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}

    def collect(self) -> list[CounterMetricFamily]:
        """Return the counts as one counter family, labelled by platform and kind."""
        family = CounterMetricFamily(self.NAME, self.HELP, labels=["platform", "kind"])
        for (platform, kind), count in sorted(self.counts.items()):
            family.add_metric([platform, kind], count)
        return [family]


class Metrics:
    """Every metric Terreau exposes, and the hooks the core calls to update them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self._events = EventCounts()
        registry.register(self._events)
        self._logged = Counter(
            "terreau_interactions_logged",
            "Interaction log rows written, by outcome (inserted, duplicate, rejected).",
            ["outcome"],
            registry=registry,
        )
        self._batches = Histogram(
            "terreau_ingest_batch_seconds",
            "Time to write one batch of the interaction log.",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self._queue = Gauge(
            "terreau_ingest_queue_depth",
            "Interaction log rows waiting to be written.",
            registry=registry,
        )
        self._runs = Counter(
            "terreau_scheduled_runs",
            "Scheduled runs by job kind and outcome (ok, failed, skipped, cancelled).",
            ["kind", "outcome"],
            registry=registry,
        )
        self._lateness = Histogram(
            "terreau_scheduled_run_lateness_seconds",
            "How late scheduled runs started, after their scheduled instant.",
            ["kind"],
            buckets=LATENESS_BUCKETS,
            registry=registry,
        )
        self._retries = Counter(
            "terreau_outbox_retries",
            "Posts sent again after the platform failed or asked to slow down.",
            ["platform", "reason"],
            registry=registry,
        )
        self._errors = Counter(
            "terreau_platform_errors",
            "Posts and replies a platform refused or failed, by status (403, 404, 429, 5xx).",
            ["platform", "status"],
            registry=registry,
        )
        self._sessions = Counter(
            "terreau_gateway_sessions",
            "Gateway connections by kind: connect (first), reconnect (new session), resume.",
            ["platform", "kind"],
            registry=registry,
        )
        self._commands = Counter(
            "terreau_commands",
            "/terreau commands received, by group.",
            ["group"],
            registry=registry,
        )

    def exposition(self) -> bytes:
        """Return every metric in the Prometheus text format."""
        return generate_latest(self.registry)

    def event_received(self, platform: str, kind: str) -> None:
        """Count an event a platform delivered."""
        counts = self._events.counts
        key = (platform, kind)
        counts[key] = counts.get(key, 0) + 1

    def command(self, group: str, known: Callable[[str], bool]) -> None:
        """Count a command by its group; groups nobody declared count as `unknown`."""
        self._commands.labels(group=group if known(group) else UNKNOWN_GROUP).inc()

    def watch_queue(self, depth: Callable[[], int]) -> None:
        """Read the interaction writer's queue depth at each scrape."""
        self._queue.set_function(depth)

    def batch_written(
        self, *, seconds: float, inserted: int, duplicates: int, rejected: int
    ) -> None:
        """Record one committed batch of the interaction log."""
        self._batches.observe(seconds)
        for outcome, count in (
            ("inserted", inserted),
            ("duplicate", duplicates),
            ("rejected", rejected),
        ):
            if count:
                self._logged.labels(outcome=outcome).inc(count)

    def run_finished(self, job_id: str, outcome: str, lateness: timedelta) -> None:
        """Record a scheduled run's outcome and how late it started."""
        kind = job_kind(job_id)
        self._runs.labels(kind=kind, outcome=outcome).inc()
        self._lateness.labels(kind=kind).observe(max(lateness.total_seconds(), 0.0))

    def platform_error(self, platform: str, error: PlatformError) -> None:
        """Count a post or reply a platform refused or failed."""
        self._errors.labels(platform=platform, status=error_status(error)).inc()

    def send_retried(self, platform: str, reason: str) -> None:
        """Count a post sent again after `reason` (the status class of the failure)."""
        self._retries.labels(platform=platform, reason=reason).inc()

    def session(self, platform: str, kind: str) -> None:
        """Count a gateway connection: `connect`, `reconnect` or `resume`."""
        self._sessions.labels(platform=platform, kind=kind).inc()
