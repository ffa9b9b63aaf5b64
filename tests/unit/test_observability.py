"""Metrics and the hooks that feed them: scheduler outcomes, ingest batches, outbox sends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import ConfigError, parse_settings
from bot.domain import ChannelRef, Post
from bot.observability import Metrics, ObservedSends
from bot.ports import Forbidden, NotFound, PlatformError, RateLimited, Unavailable
from bot.scheduling import Job, Scheduler, parse_cron
from tests.fakes import FakePlatform, ManualClock

pytestmark = pytest.mark.ops

START = datetime(2026, 11, 23, 8, 59, tzinfo=UTC)
WHERE = ChannelRef(community="console:demo", channel_id="general")


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition, parsed back as Prometheus reads it."""
    text = metrics.exposition().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(metrics: Metrics, name: str, **labels: str) -> float:
    return samples(metrics).get((name, tuple(sorted(labels.items()))), 0.0)


def test_each_app_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()

    first.event_received("discord", "MessagePosted")

    assert value(first, "terreau_events_received_total", platform="discord", kind="MessagePosted")
    assert not value(second, "terreau_events_received_total", platform="discord",
                     kind="MessagePosted")  # fmt: skip


def test_commands_of_groups_nobody_declared_count_as_unknown() -> None:
    metrics = Metrics()

    metrics.command("posts", lambda group: group == "posts")
    metrics.command("alice-typed-this", lambda group: group == "posts")

    assert value(metrics, "terreau_commands_total", group="posts") == 1
    assert value(metrics, "terreau_commands_total", group="unknown") == 1
    assert "alice" not in metrics.exposition().decode()


async def test_the_scheduler_reports_each_outcome_and_how_late_the_run_started() -> None:
    clock = ManualClock(START)
    metrics = Metrics()
    scheduler = Scheduler(clock, observer=metrics)
    ran = asyncio.Event()

    async def fine(_at: datetime) -> None:
        ran.set()

    async def broken(_at: datetime) -> None:
        raise RuntimeError("boom")

    for job_id, run in (("posts:console:demo:question", fine), ("games:console:demo:x", broken)):
        scheduler.add(
            Job(
                id=job_id,
                community="console:demo",
                schedule=parse_cron("0 9 * * *"),
                timezone="UTC",
                grace=timedelta(minutes=5),
                run=run,
            )
        )
    await scheduler.start()
    try:
        assert scheduler.running
        await clock.set(START + timedelta(minutes=1, seconds=30))  # 09:00:30, 30 s late
        await scheduler.idle()
    finally:
        await scheduler.stop()

    assert not scheduler.running
    assert value(metrics, "terreau_scheduled_runs_total", kind="posts", outcome="ok") == 1
    assert value(metrics, "terreau_scheduled_runs_total", kind="games", outcome="failed") == 1
    assert value(metrics, "terreau_scheduled_run_lateness_seconds_sum", kind="posts") == 30
    assert value(metrics, "terreau_scheduled_run_lateness_seconds_bucket", kind="posts",
                 le="15.0") == 0  # fmt: skip
    assert value(metrics, "terreau_scheduled_run_lateness_seconds_bucket", kind="posts",
                 le="60.0") == 1  # fmt: skip


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Forbidden("403"), "403"),
        (NotFound("404"), "404"),
        (RateLimited(2.0), "429"),
        (Unavailable("503"), "5xx"),
        (PlatformError("odd"), "other"),
    ],
)
async def test_outbox_sends_count_refusals_by_status_and_retries_by_their_cause(
    error: PlatformError, status: str
) -> None:
    metrics = Metrics()
    platform = FakePlatform(name="discord", failures=[error])
    sends = ObservedSends(platform, metrics)

    with pytest.raises(PlatformError):
        await sends.send(WHERE, Post(text="hello"), nonce="n1")
    await sends.send(WHERE, Post(text="hello"), nonce="n1")  # the outbox's retry
    await sends.send(WHERE, Post(text="other"), nonce="n2")  # a first try, no retry

    assert value(metrics, "terreau_platform_errors_total", platform="discord", status=status) == 1
    assert value(metrics, "terreau_outbox_retries_total", platform="discord", reason=status) == 1
    assert sum(v for (name, _), v in samples(metrics).items()
               if name == "terreau_outbox_retries_total") == 1  # fmt: skip


def test_batches_count_rows_by_outcome_and_time_the_write() -> None:
    metrics = Metrics()
    depth = [7]
    metrics.watch_queue(lambda: depth[0])

    metrics.batch_written(seconds=0.02, inserted=498, duplicates=2, rejected=0)

    assert value(metrics, "terreau_interactions_logged_total", outcome="inserted") == 498
    assert value(metrics, "terreau_interactions_logged_total", outcome="duplicate") == 2
    assert value(metrics, "terreau_ingest_batch_seconds_count") == 1
    assert value(metrics, "terreau_ingest_queue_depth") == 7
    depth[0] = 0
    assert value(metrics, "terreau_ingest_queue_depth") == 0


BASE = '[[communities]]\nplatform = "console"\nid = "demo"\nname = "Demo"\n'


def test_the_endpoint_is_off_by_default_and_binds_loopback_when_only_a_port_is_given() -> None:
    assert parse_settings(BASE, Path("t.toml")).observability.address() is None
    settings = parse_settings('[observability]\nlisten = "9464"\n' + BASE, Path("t.toml"))
    assert settings.observability.address() == ("127.0.0.1", 9464)
    settings = parse_settings('[observability]\nlisten = "[::1]:9000"\n' + BASE, Path("t.toml"))
    assert settings.observability.address() == ("::1", 9000)


@pytest.mark.parametrize("listen", ['"localhost"', '"127.0.0.1:70000"', '"[::1"', "9464"])
def test_a_bad_listen_address_is_named_with_its_line(listen: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(f"[observability]\nlisten = {listen}\n" + BASE, Path("t.toml"))

    [problem] = caught.value.problems
    assert problem.path == "observability.listen" and problem.line == 2


def test_log_format_is_text_or_json() -> None:
    assert parse_settings(BASE, Path("t.toml")).log_format == "text"
    assert parse_settings('log_format = "json"\n' + BASE, Path("t.toml")).log_format == "json"
    with pytest.raises(ConfigError, match="log_format"):
        parse_settings('log_format = "xml"\n' + BASE, Path("t.toml"))
