"""The process is SIGKILLed in the middle of a scheduled ritual, then restarted on the same file."""

from __future__ import annotations

import signal
from datetime import timedelta

import pytest

from tests.faults.conftest import AT_NINE, QUESTION_JOB, FaultBot, config_text, run_child
from tests.faults.crash_child import read_sent

# The ledger stores UTC instants as text, without the offset.
AT_NINE_TEXT = AT_NINE.strftime("%Y-%m-%d %H:%M:%S.%f")


@pytest.mark.parametrize(
    ("point", "ledger_between", "outbox_between", "sent_between"),
    [
        # Killed inside the claiming transaction: it never committed, nothing is recorded.
        ("claimed", [], [], 0),
        # Claimed and queued (committed), killed before the platform got the post.
        ("send", [("done",)], [("pending",)], 0),
        # The platform has the post; killed before the outbox row was marked sent.
        ("sent", [("done",)], [("pending",)], 1),
    ],
)
async def test_a_ritual_killed_mid_run_posts_exactly_once_after_a_restart(
    fault_bot: FaultBot,
    point: str,
    ledger_between: list[tuple[str]],
    outbox_between: list[tuple[str]],
    sent_between: int,
) -> None:
    """Nothing lost: after the kill and a restart within the grace window, the ritual's
    run of 09:00 is in the ledger once as done, its one outbox row is marked sent with
    the id of the one message the platform holds, and the platform shows one post.
    """
    config = fault_bot.path / "terreau.toml"
    config.write_text(config_text(), encoding="utf-8")
    sent = fault_bot.path / "sent.jsonl"
    common = ("--config", str(config), "--database", fault_bot.url, "--sent", str(sent))

    killed = await run_child(
        *common, "--now", (AT_NINE + timedelta(minutes=1)).isoformat(), "--kill-at", point
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (
        fault_bot.rows("SELECT status FROM run_ledger WHERE job_id LIKE 'posts:%'")
        == ledger_between
    )
    assert fault_bot.rows("SELECT status FROM outbox") == outbox_between
    assert len(read_sent(sent)) == sent_between

    restarted = await run_child(*common, "--now", (AT_NINE + timedelta(minutes=30)).isoformat())
    assert restarted.returncode == 0, restarted.stderr

    posts = [record for record in read_sent(sent) if record["kind"] == "send"]
    assert len(posts) == 1
    assert posts[0]["channel_id"] == "general"
    assert fault_bot.rows(
        "SELECT job_id, scheduled_for, status FROM run_ledger WHERE job_id LIKE 'posts:%'"
    ) == [(QUESTION_JOB, AT_NINE_TEXT, "done")]
    assert fault_bot.rows("SELECT job_id, nonce, status, message_id FROM outbox") == [
        (QUESTION_JOB, posts[0]["nonce"], "sent", posts[0]["message_id"])
    ]
    # One piece of content used, so the rotation did not skip an item either.
    assert len(fault_bot.rows("SELECT * FROM content_usage")) == 1

    again = await run_child(*common, "--now", (AT_NINE + timedelta(minutes=31)).isoformat())
    assert again.returncode == 0, again.stderr
    assert len(read_sent(sent)) == 1
