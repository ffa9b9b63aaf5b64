"""Watching a running Terreau: /healthz, /readyz and /metrics over HTTP, and JSON log lines."""

from __future__ import annotations

import io
import json
import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.cli import main
from bot.logs import configure_logging
from bot.ports import Forbidden, StartupFailed
from tests.e2e.conftest import ALICE, AT_NINE, KEY, MOD, Terreau
from tests.fakes import FakePlatform

pytestmark = pytest.mark.ops

LISTEN = '\n[observability]\nlisten = "127.0.0.1:0"\n'


async def get(app_port: int, path: str) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{app_port}{path}") as response,
    ):
        return response.status, response.headers["Content-Type"], await response.text()


def metric(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


async def test_nothing_listens_unless_the_config_says_where(terreau: Terreau) -> None:
    app = await terreau.start()

    assert app.health is None


async def test_health_readiness_and_metrics_of_a_running_community(terreau: Terreau) -> None:
    app = await terreau.start(extra=LISTEN)
    assert app.health is not None and app.health.port
    port = app.health.port

    status, _, body = await get(port, "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    status, _, body = await get(port, "/readyz")
    assert status == 200
    assert json.loads(body) == {
        "ready": True,
        "not_ready": [],
        "checks": {"started": True, "database": True, "scheduler": True, "platform:console": True},
    }

    await terreau.say(ALICE, text="hello everyone")
    await terreau.command(MOD, "posts", "list")
    await terreau.command(ALICE, "alice-made-this-up", "x")
    await terreau.at(AT_NINE)  # the weekly question runs
    await app.writer.flush()
    status, content_type, text = await get(port, "/metrics")

    assert status == 200 and content_type.startswith("text/plain")
    assert metric(text, "terreau_events_received_total", platform="console",
                  kind="MessagePosted") == 1  # fmt: skip
    assert metric(text, "terreau_events_received_total", platform="console",
                  kind="CommandInvoked") == 2  # fmt: skip
    assert metric(text, "terreau_commands_total", group="posts") == 1
    assert metric(text, "terreau_commands_total", group="unknown") == 1
    assert metric(text, "terreau_scheduled_runs_total", kind="posts", outcome="ok") == 1
    assert metric(text, "terreau_scheduled_run_lateness_seconds_count", kind="posts") == 1
    assert metric(text, "terreau_interactions_logged_total", outcome="inserted") >= 1
    assert metric(text, "terreau_ingest_batch_seconds_count") >= 1
    assert metric(text, "terreau_ingest_queue_depth") == 0
    # Labels name platforms, kinds and groups: never a member, never what they typed.
    for personal in (ALICE.id, ALICE.display_name, MOD.id, "hello", "alice-made-this-up", KEY):
        assert personal not in text


async def test_refused_posts_show_as_platform_errors(terreau: Terreau) -> None:
    app = await terreau.start(extra=LISTEN)
    assert app.health is not None and app.health.port
    terreau.platform.failures.append(Forbidden("403 Missing Permissions"))

    await terreau.at(AT_NINE)
    _, _, text = await get(app.health.port, "/metrics")

    assert metric(text, "terreau_platform_errors_total", platform="console", status="403") == 1


async def test_a_port_already_taken_stops_the_start_with_a_clear_error(
    terreau: Terreau,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(StartupFailed, match=r"\[observability\] listen"):
            await terreau.start(extra=f'\n[observability]\nlisten = "127.0.0.1:{port}"\n')


@dataclass
class Disconnected(FakePlatform):
    """A platform whose connection dropped (a gateway outage, a closed socket)."""

    async def connected(self) -> bool:
        return False


async def test_readyz_says_what_is_not_ready(terreau: Terreau) -> None:
    app = await terreau.start(extra=LISTEN)
    assert app.health is not None and app.health.port
    port = app.health.port

    await app.scheduler.stop()
    status, _, body = await get(port, "/readyz")
    assert status == 503
    answer: dict[str, Any] = json.loads(body)
    assert answer["ready"] is False and answer["not_ready"] == ["scheduler"]

    await app.scheduler.start()
    app.platforms = {"console": Disconnected(name="console")}
    status, _, body = await get(port, "/readyz")
    assert status == 503 and json.loads(body)["not_ready"] == ["platform:console"]
    await get(port, "/healthz")  # liveness does not depend on readiness
    assert (await get(port, "/healthz"))[0] == 200


def test_terreau_run_writes_json_lines_when_the_config_says_so(tmp_path: Path) -> None:
    config = tmp_path / "terreau.toml"
    config.write_text(
        f'database_url = "sqlite+aiosqlite:///{tmp_path / "terreau.db"}"\n'
        f'export_dir = "{tmp_path / "exports"}"\n'
        'log_format = "json"\n'
        '[[communities]]\nplatform = "console"\nid = "demo"\nname = "Demo"\n',
        encoding="utf-8",
    )
    script = tmp_path / "chat.script"
    script.write_text("alice> hello\n", encoding="utf-8")
    log = tmp_path / "terreau.log"
    assert main(["db", "upgrade", "--config", str(config)]) == 0

    code = main(["run", "--config", str(config), "--script", str(script), "--log-file", str(log)])

    assert code == 0
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line["message"].startswith("Terreau started") for line in lines)


async def test_json_lines_name_the_community_of_an_event_and_the_job_of_a_run(
    terreau: Terreau,
) -> None:
    out = io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure_logging("INFO", [], stream=out, log_format="json")
    try:
        await terreau.start()
        await terreau.choose(ALICE, "gone-feature:1:2")  # a click nobody handles: logged
        await terreau.at(AT_NINE)  # the weekly question is posted: logged by its job
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    click = next(line for line in lines if "gone-feature" in line["message"])
    assert click["community"] == KEY and "job" not in click
    runs = [line for line in lines if "job" in line]
    assert runs, "scheduled runs log their job"
    assert all(line["community"] == KEY and KEY in line["job"] for line in runs)
