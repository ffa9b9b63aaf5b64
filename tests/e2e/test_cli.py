"""The command line as operators use it: check, db upgrade, run a script, privacy requests."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main

pytestmark = pytest.mark.cli

CONFIG = """
database_url = "sqlite+aiosqlite:///{db}"
export_dir = "{exports}"

[[communities]]
platform = "console"
id = "demo"
name = "Demo"
"""

SCRIPT = """\
alice> hello everyone!
bob> hi alice
alice> /react 2 👍
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "terreau.toml"
    path.write_text(
        CONFIG.format(db=tmp_path / "terreau.db", exports=tmp_path / "exports"), encoding="utf-8"
    )
    return path


def run(*argv: str) -> int:
    return main(list(argv))


def test_check_accepts_a_valid_config_and_refuses_a_broken_one(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("check", "--config", str(config)) == 0
    assert "valid (1 communities" in capsys.readouterr().out
    broken = tmp_path / "broken.toml"
    broken.write_text(config.read_text() + 'timezone = "Mars/Olympus"\n', encoding="utf-8")
    assert run("check", "--config", str(broken)) == 2
    assert "timezone" in capsys.readouterr().err


def test_run_refuses_an_outdated_schema_and_names_the_fix(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert run("run", "--config", str(config), "--log-file", "-") == 2
    assert "terreau db upgrade" in capsys.readouterr().err


def piped_community(config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chat in the console with lines piped in: they land in the configured database."""
    assert run("db", "upgrade", "--config", str(config)) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(SCRIPT))
    log = tmp_path / "terreau.log"
    assert run("run", "--config", str(config), "--log-file", str(log)) == 0


def test_a_script_replays_on_a_database_of_its_own(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "chat.script"
    script.write_text(SCRIPT, encoding="utf-8")
    log = tmp_path / "terreau.log"
    # Both replays start at the same instant: from the real clock, they could fall on
    # either side of a minute change and show different times.
    replay = ("--script", str(script), "--start", "2026-11-23T08:00:00+00:00")
    for _ in range(2):
        assert run("run", "--config", str(config), *replay, "--log-file", str(log)) == 0
    first, second = capsys.readouterr().out.split("#1 ")[1:]
    assert first == second  # the second replay did not see the first one's members
    assert not (tmp_path / "terreau.db").exists()


def test_an_operator_exports_a_members_data(
    config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    piped_community(config, tmp_path, monkeypatch)
    out = tmp_path / "alice.json"
    code = run(
        "privacy", "export", "--config", str(config), "--community", "console:demo",
        "--member", "alice", "--out", str(out),
    )  # fmt: skip
    assert code == 0
    assert str(out) in capsys.readouterr().out
    document = json.loads(out.read_text(encoding="utf-8"))
    assert [row["kind"] for row in document["data"]["interactions"]] == [
        "join",
        "message",
        "reaction",
    ]


def test_an_operator_erases_a_members_data_after_confirming(
    config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    piped_community(config, tmp_path, monkeypatch)
    base = ["privacy", "forget", "--config", str(config), "--community", "console:demo"]
    monkeypatch.setattr("sys.stdin", io.StringIO("no\n"))
    assert run(*base, "--member", "alice") == 1
    assert "Nothing was erased." in capsys.readouterr().out
    assert run(*base, "--member", "alice", "--yes") == 0
    erased = capsys.readouterr().out
    assert erased.startswith("Erased ")
    assert "(interactions: 3, daily_activity: 1, profile: 1" in erased
    out = tmp_path / "after.json"
    run(
        "privacy", "export", "--config", str(config), "--community", "console:demo",
        "--member", "alice", "--out", str(out),
    )  # fmt: skip
    document = json.loads(out.read_text(encoding="utf-8"))
    assert all(rows == [] for rows in document["data"].values())


def test_a_privacy_request_names_an_unknown_community(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("db", "upgrade", "--config", str(config)) == 0
    code = run(
        "privacy", "forget", "--config", str(config), "--community", "discord:1",
        "--member", "alice", "--yes",
    )  # fmt: skip
    assert code == 2
    assert "unknown community 'discord:1' (known: console:demo)" in capsys.readouterr().err


def test_with_piped_input_the_log_goes_to_terreau_log_not_the_transcript(
    config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run("db", "upgrade", "--config", str(config)) == 0
    capsys.readouterr()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(SCRIPT))
    assert run("run", "--config", str(config)) == 0
    shown = capsys.readouterr()
    assert "alice: hello everyone!" in shown.out
    assert "Terreau started" not in shown.out + shown.err
    assert "terreau.log" in shown.err
    assert "Terreau started" in (tmp_path / "terreau.log").read_text(encoding="utf-8")


def test_the_log_file_is_not_committed() -> None:
    ignored = (Path(__file__).parents[2] / ".gitignore").read_text(encoding="utf-8").split()
    assert "terreau.log" in ignored


def test_a_speed_must_be_a_positive_number(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for speed in ("0", "-3", "fast"):
        with pytest.raises(SystemExit) as exited:
            run("run", "--config", str(config), "--speed", speed)
        assert exited.value.code == 2
        assert "--speed" in capsys.readouterr().err
