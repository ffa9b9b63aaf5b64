"""The process is SIGKILLed in the middle of a scheduled ritual, then restarted on the same file.

Each case runs on three platforms, and after the kill only what the database and
the platform hold survives: a file platform that keeps posts but drops no repeated
nonce, and the real Slack and Discord adapters on the project's fake servers, which
kill the child process themselves when its post arrives (before or after storing it).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.slack.fake_slack import FakeSlack
from tests.faults.conftest import AT_NINE, QUESTION, QUESTION_JOB, REPO, FaultBot, config_text
from tests.faults.crash_child import SLACK_TEAM, read_sent

pytestmark = pytest.mark.delivery

# The ledger stores UTC instants as text, without the offset.
AT_NINE_TEXT = AT_NINE.strftime("%Y-%m-%d %H:%M:%S.%f")
DISCORD_GUILD = "1187654321098765432"
DISCORD_GENERAL = "1187654321098765500"
SLACK_GENERAL = "C0GENERAL"

PLATFORM_CONFIG = """
[ingest]
flush_interval_ms = 50
{section}

[[communities]]
platform = "{platform}"
id = "{id}"
name = "Demo"
timezone = "Europe/Paris"
channels = {{ general = "{general}" }}
"""


class Child:
    """`tests/faults/crash_child.py` in a process of its own, which the test may kill."""

    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None

    async def run(self, *args: str, limit: float = 120) -> tuple[int, str]:
        """Run the child to its end (bounded); return its exit code and stderr."""
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.faults.crash_child",
            *args,
            cwd=REPO,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            _, stderr = await asyncio.wait_for(self.process.communicate(), limit)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise
        assert self.process.returncode is not None
        return self.process.returncode, stderr.decode(errors="replace")

    async def kill(self) -> None:
        """SIGKILL the running child and wait until it is gone."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        await self.process.wait()


@dataclass
class Platform:
    """One platform for the crash cases: its config, how to arm the kill, what it holds."""

    name: str
    config: str
    args: list[str]
    posts: Callable[[], list[str]]
    set_time: Callable[[datetime], None] = lambda moment: None
    arm: Callable[[str, Callable[[], Awaitable[None]]], None] | None = None
    disarm: Callable[[], None] = lambda: None


@pytest.fixture(params=["file", "slack", "discord"])
async def platform(request: pytest.FixtureRequest, fault_bot: FaultBot) -> AsyncIterator[Platform]:
    """The platform a crash case runs on, and its fake server when it has one."""
    if request.param == "file":
        sent = fault_bot.path / "sent.jsonl"
        yield Platform(
            name="file",
            config=config_text(),
            args=["--platform", "file", "--sent", str(sent)],
            posts=lambda: [r["message_id"] for r in read_sent(sent) if r["kind"] == "send"],
        )
        return
    if request.param == "slack":
        slack = FakeSlack()
        await slack.start()
        section = f'[slack]\nmode = "http"\napi_base = "{slack.api_base}"'
        try:
            yield Platform(
                name="slack",
                config=_config(section, "slack", SLACK_TEAM, SLACK_GENERAL),
                args=["--platform", "slack"],
                posts=lambda: [m["ts"] for m in slack.messages.get(SLACK_GENERAL, [])],
                set_time=lambda moment: setattr(slack, "clock", lambda: moment),
                arm=lambda when, kill: setattr(slack, f"{when}_post", kill),
                disarm=lambda: _disarm(slack),
            )
        finally:
            await slack.stop()
        return
    discord = FakeDiscord()
    await discord.start()
    section = (
        f'[discord]\napi_base = "{discord.api_base}"\ngateway_url = "{discord.gateway_url}"\n'
        "members_intent = false"
    )
    try:
        yield Platform(
            name="discord",
            config=_config(section, "discord", DISCORD_GUILD, DISCORD_GENERAL),
            args=["--platform", "discord"],
            posts=lambda: [m["id"] for m in discord.messages.get(DISCORD_GENERAL, [])],
            set_time=lambda moment: setattr(discord, "clock", lambda: moment),
            arm=lambda when, kill: setattr(discord, f"{when}_post", kill),
            disarm=lambda: _disarm(discord),
        )
    finally:
        await discord.stop()


def _config(section: str, platform: str, community_id: str, general: str) -> str:
    head = PLATFORM_CONFIG.format(
        section=section, platform=platform, id=community_id, general=general
    )
    return head + QUESTION


def _disarm(fake: FakeSlack | FakeDiscord) -> None:
    fake.before_post = None
    fake.after_post = None


@pytest.mark.parametrize(
    ("point", "ledger_between", "outbox_between", "sent_between"),
    [
        # Killed inside the claiming transaction: it never committed, nothing is recorded.
        ("claimed", [], [], 0),
        # Claimed and queued, the attempt recorded, killed before the platform got the post.
        ("send", [("done",)], [("pending", 1)], 0),
        # The platform has the post; killed before the outbox row was marked sent.
        ("sent", [("done",)], [("pending", 1)], 1),
    ],
)
async def test_a_ritual_killed_mid_run_posts_exactly_once_after_a_restart(
    fault_bot: FaultBot,
    platform: Platform,
    point: str,
    ledger_between: list[tuple[str]],
    outbox_between: list[tuple[str, int]],
    sent_between: int,
) -> None:
    """Nothing lost, nothing doubled: after the kill and a restart within the grace window,
    the ritual's run of 09:00 is in the ledger once as done, its one outbox row is marked
    sent with the id of the one message the platform holds, and the platform shows one
    post, although the restarted process remembers nothing of the first one's sends.
    """
    config = fault_bot.path / "terreau.toml"
    config.write_text(platform.config, encoding="utf-8")
    common = ("--config", str(config), "--database", fault_bot.url, *platform.args)
    child = Child()

    first = AT_NINE + timedelta(minutes=1)
    platform.set_time(first)
    kill_at: tuple[str, ...] = ("--kill-at", point)
    if platform.arm is not None and point != "claimed":
        platform.arm("before" if point == "send" else "after", child.kill)
        kill_at = ()
    code, stderr = await child.run(*common, "--now", first.isoformat(), *kill_at)
    assert code == -signal.SIGKILL, stderr
    platform.disarm()
    assert (
        fault_bot.rows("SELECT status FROM run_ledger WHERE job_id LIKE 'posts:%'")
        == ledger_between
    )
    assert fault_bot.rows("SELECT status, attempted_at IS NOT NULL FROM outbox") == outbox_between
    assert len(platform.posts()) == sent_between

    restart = AT_NINE + timedelta(minutes=30)
    platform.set_time(restart)
    code, stderr = await Child().run(*common, "--now", restart.isoformat())
    assert code == 0, stderr

    posts = platform.posts()
    assert len(posts) == 1, stderr
    assert fault_bot.rows(
        "SELECT job_id, scheduled_for, status FROM run_ledger WHERE job_id LIKE 'posts:%'"
    ) == [(QUESTION_JOB.replace("console:demo", _key(platform)), AT_NINE_TEXT, "done")]
    assert fault_bot.rows("SELECT job_id, status, message_id FROM outbox") == [
        (QUESTION_JOB.replace("console:demo", _key(platform)), "sent", posts[0])
    ]
    # One piece of content used, so the rotation did not skip an item either.
    assert len(fault_bot.rows("SELECT * FROM content_usage")) == 1

    again = AT_NINE + timedelta(minutes=31)
    platform.set_time(again)
    code, stderr = await Child().run(*common, "--now", again.isoformat())
    assert code == 0, stderr
    assert len(platform.posts()) == 1


def _key(platform: Platform) -> str:
    return {
        "file": "console:demo",
        "slack": f"slack:{SLACK_TEAM}",
        "discord": f"discord:{DISCORD_GUILD}",
    }[platform.name]
