"""A missed election opening never shortens a phase: a late one keeps its full lengths.

The monthly opening is due on the 1st at 09:00 in Paris. Terreau started after it
(a fresh install, or downtime) opens it late, within the nomination window, and
counts every phase from that moment; later than that, it waits for the next month.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import _check
from bot.domain import Member
from bot.storage import ElectionRecord
from tests.e2e.conftest import KEY, Terreau

pytestmark = pytest.mark.election

JOINED = datetime(2026, 10, 1, tzinfo=UTC)
DAN = Member(id="dan", display_name="Dan", joined_at=JOINED)
MOD = Member(id="mod", display_name="Mo", is_admin=True, joined_at=JOINED)
PARIS = "Europe/Paris"
# Tuesday 1 December 2026, 09:00 in Paris.
DUE = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
NOMINATION_HOURS = 120
VOTING_HOURS = 72
ELECTION = f"""
[communities.election]
enabled = true
opens = "0 9 1 * *"
nomination_hours = {NOMINATION_HOURS}
voting_hours = {VOTING_HOURS}
"""


async def elections(terreau: Terreau) -> list[ElectionRecord]:
    app = terreau.app
    assert app is not None
    async with app.database.read() as uow:
        running = await uow.elections.running(app.community_id(KEY))
    return [running] if running is not None else []


async def status(terreau: Terreau) -> str:
    await terreau.command(DAN, "election", "status")
    [*_, answer] = [i.post for i in terreau.platform.sent if i.member_id == DAN.id]
    return answer.text


def rendered(terreau: Terreau, key: str, **variables: object) -> str:
    assert terreau.app is not None
    catalog = terreau.app.catalog(KEY)
    return catalog.post(key, member=DAN.display_name, timezone=PARIS, **variables).text


async def test_a_fresh_install_after_the_opening_gives_each_phase_its_full_length(
    terreau: Terreau, caplog: pytest.LogCaptureFixture
) -> None:
    # Sunday 6 December 2026, 01:00 in Paris: eight hours before the nomination window ends.
    fresh = datetime(2026, 12, 6, 0, 0, tzinfo=UTC)
    caplog.set_level(logging.INFO)
    await terreau.clock.set(fresh)
    await terreau.start(extra=ELECTION)

    [election] = await elections(terreau)
    voting = fresh + timedelta(hours=NOMINATION_HOURS)
    closes = voting + timedelta(hours=VOTING_HOURS)
    assert (election.nominations_open_at, election.voting_opens_at) == (fresh, voting)
    assert election.closes_at == closes
    assert election.period == "2026-12"
    assert await status(terreau) == rendered(
        terreau,
        "election.status.nominating",
        nominees=[],
        voting_opens_at=voting,
        closes_at=closes,
        method="single",
    )
    [opened] = [r.getMessage() for r in caplog.records if "opened late" in r.getMessage()]
    assert KEY in opened and voting.isoformat() in opened and closes.isoformat() in opened


async def test_an_opening_missed_while_down_opens_when_terreau_is_back(terreau: Terreau) -> None:
    await terreau.clock.set(DUE - timedelta(hours=1))
    await terreau.start(extra=ELECTION)
    await terreau.stop()
    back = DUE + timedelta(hours=6)
    await terreau.clock.set(back)
    await terreau.start(extra=ELECTION)

    [election] = await elections(terreau)
    assert election.nominations_open_at == back
    assert election.voting_opens_at == back + timedelta(hours=NOMINATION_HOURS)
    assert election.closes_at == election.voting_opens_at + timedelta(hours=VOTING_HOURS)


async def test_an_opening_on_time_keeps_the_scheduled_times(terreau: Terreau) -> None:
    await terreau.clock.set(DUE - timedelta(hours=1))
    await terreau.start(extra=ELECTION)
    await terreau.at(DUE + timedelta(seconds=20))  # the timer is rarely exact to the second

    [election] = await elections(terreau)
    assert election.nominations_open_at == DUE
    assert election.voting_opens_at == DUE + timedelta(hours=NOMINATION_HOURS)


async def test_past_the_nomination_window_it_waits_for_the_next_month_and_says_so(
    terreau: Terreau,
) -> None:
    # Sunday 6 December 2026, 10:00 in Paris: the window of the 1st has closed.
    too_late = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    await terreau.clock.set(too_late)
    await terreau.start(extra=ELECTION)

    assert await elections(terreau) == []
    next_opening = datetime(2027, 1, 1, 8, 0, tzinfo=UTC)
    assert await status(terreau) == rendered(
        terreau, "election.status.none", next_opening=next_opening
    )
    await terreau.command(MOD, "election", "start")  # moderators need not wait
    [election] = await elections(terreau)
    assert election.voting_opens_at == too_late + timedelta(hours=NOMINATION_HOURS)


@pytest.mark.parametrize(
    ("now", "says_late"),
    [
        (datetime(2026, 12, 6, 0, 0, tzinfo=UTC), True),
        (datetime(2026, 12, 6, 9, 0, tzinfo=UTC), False),
    ],
)
def test_check_says_what_happens_to_a_missed_opening(
    now: datetime, says_late: bool, tmp_path: Path
) -> None:
    config = tmp_path / "terreau.toml"
    config.write_text(
        '[[communities]]\nplatform = "console"\nid = "demo"\nname = "Demo"\n'
        f'timezone = "{PARIS}"\nchannels = {{ general = "general" }}\n' + ELECTION,
        encoding="utf-8",
    )
    out = io.StringIO()

    assert _check(config, out, now=now) == 0

    lines = [line.strip() for line in out.getvalue().splitlines() if "election" in line]
    assert lines[0].startswith("election: '0 9 1 * *'")
    assert f"{NOMINATION_HOURS} h" in lines[0] and f"{VOTING_HOURS} h" in lines[0]
    assert "next: Fri 2027-01-01 09:00 CET" in lines[0]
    late = [line for line in lines if "Tue 2026-12-01 09:00 CET" in line]
    if says_late:
        [line] = late
        assert "Sun 2026-12-06 09:00 CET" in line
    else:
        assert late == []
