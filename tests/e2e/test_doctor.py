"""`terreau doctor` on the database and the console: exit codes and what the operator reads."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.prompts import Prompts
from bot.storage.migrate import head_revision, upgrade

pytestmark = [pytest.mark.ops, pytest.mark.cli]

EN = Prompts.load(Path(__file__).resolve().parents[2] / "prompts").catalog("en")
CONFIG = """
database_url = "{url}"

[[communities]]
platform = "console"
id = "demo"
name = "Demo"
"""


def config_for(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "terreau.toml"
    path.write_text(CONFIG.format(url=url), encoding="utf-8")
    return path


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_database_never_upgraded_names_the_command_that_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'terreau.db'}"
    config = config_for(tmp_path, url)

    assert main(["doctor", "--config", str(config)]) == 1

    out = flat(capsys.readouterr().out)
    expected = EN.text("doctor.database.schema_outdated", current="", head=head_revision(),
                       config=config)  # fmt: skip
    assert flat(expected) in out
    assert EN.text("doctor.summary.problems", count=1) in out

    asyncio.run(upgrade(url))

    assert main(["doctor", "--config", str(config)]) == 0

    out = flat(capsys.readouterr().out)
    assert flat(EN.text("doctor.database.schema_current", revision=head_revision())) in out
    assert flat(EN.text("doctor.console.nothing")) in out
    assert EN.text("doctor.summary.healthy") in out


def test_an_unreachable_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = config_for(tmp_path, "postgresql+asyncpg://terreau@127.0.0.1:1/terreau")

    assert main(["doctor", "--config", str(config)]) == 1

    out = capsys.readouterr().out
    assert EN.text("doctor.sections.database") in out
    assert "127.0.0.1:1" in out and "✗" in out


def test_an_invalid_config_is_exit_code_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(tmp_path, "mysql://nope")

    assert main(["doctor", "--config", str(config)]) == 2
    assert "database_url" in capsys.readouterr().err


def test_help_says_what_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["doctor", "--help"])

    shown = flat(capsys.readouterr().out)
    assert "--language" in shown and "Exit code 0 only when all is well" in shown
