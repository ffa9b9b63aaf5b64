"""`terreau init` as an operator runs it: answers typed on standard input, or given as flags."""

from __future__ import annotations

import io
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli_init import write_config
from bot.prompts import Prompts

pytestmark = pytest.mark.cli

PROMPTS = Prompts.load(Path(__file__).resolve().parents[2] / "prompts")
EN = PROMPTS.catalog("en")
FR = PROMPTS.catalog("fr")
GUILD = "1187654321098765432"
GENERAL = "1187654321098765500"
MODS = "1187654321098765501"
DISCORD_TOKEN_SHAPE = "MTE4MDAwMDAwMDAwMDAwMDAwMQ.GabcDE.abcdefghijklmnopqrstuvwxyz0123"


class Typing(io.TextIOBase):
    """Standard input that gives `lines`, then Ctrl-C (or the end of input)."""

    def __init__(self, lines: list[str], *, then_interrupt: bool = False) -> None:
        self._lines: Iterator[str] = iter(lines)
        self._interrupt = then_interrupt
        self.read_lines = 0

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        try:
            line = next(self._lines)
        except StopIteration:
            if self._interrupt:
                raise KeyboardInterrupt from None
            return ""
        self.read_lines += 1
        return line + "\n"


def init(
    monkeypatch: pytest.MonkeyPatch, *argv: str, typed: Typing | None = None
) -> tuple[int, str]:
    stdout = io.StringIO()
    monkeypatch.setattr("sys.stdin", typed or Typing([]))
    monkeypatch.setattr("sys.stdout", stdout)
    code = main(["init", *argv])
    return code, stdout.getvalue()


def said(catalog_text: str, output: str) -> bool:
    return " ".join(catalog_text.split()) in " ".join(output.split())


# Language, audience, purpose, name, size, benefit, meeting, timezone, platform, server id,
# then the channels: general, moderators, games.
REMOTE_TEAM = [
    "1",  # English
    "1",  # employees
    "Keep a remote team close",
    "Acme Remote",
    "30",
    "",  # connection (the default)
    "remote",  # by name works too
    "Europe/Paris",
    "1",  # Discord
    GUILD,
    GENERAL,
    MODS,
]


def test_typed_answers_write_a_file_that_terreau_check_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "terreau.toml"

    code, output = init(monkeypatch, "--config", str(config), typed=Typing(REMOTE_TEAM))

    assert code == 0
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    [community] = data["communities"]
    assert community["platform"] == "discord" and community["id"] == GUILD
    assert community["channels"] == {"general": GENERAL, "moderators": MODS}
    assert community["games"]["enabled"] is False
    assert community["election"]["enabled"] is True
    assert community["report"]["channel"] == "moderators"
    assert said(EN.text("init.questions.audience"), output)
    assert said(EN.text("init.reasons.games_colleagues"), output)
    assert said(EN.text("init.done.secrets", names="DISCORD_TOKEN"), output)
    assert "Keep a remote team close" in config.read_text(encoding="utf-8")
    assert list(tmp_path.iterdir()) == [config]  # no temporary file left
    assert main(["check", "--config", str(config)]) == 0


def test_the_questions_and_the_comments_follow_the_chosen_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "terreau.toml"
    answers = ["2", "4", "", "Les Jardiniers", "80", "3", "4", "", "3", "", "", "", ""]

    code, output = init(monkeypatch, "--config", str(config), typed=Typing(answers))

    assert code == 0
    assert said(FR.text("init.questions.audience"), output)
    assert not said(EN.text("init.questions.audience"), output)
    text = config.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    [community] = data["communities"]
    assert community["language"] == "fr" and community["timezone"] == "Europe/Paris"
    assert community["id"] == "les-jardiniers"
    flat = " ".join(line.removeprefix("# ") for line in text.splitlines() if line.startswith("#"))
    assert " ".join(FR.text("init.reasons.rituals_events").split()) in " ".join(flat.split())


def test_a_wrong_answer_is_explained_and_asked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "terreau.toml"
    answers = [
        "1",
        "9",  # not a choice
        "1",
        "",
        DISCORD_TOKEN_SHAPE,  # a token pasted as the name
        "Acme",
        "lots",  # not a number
        "30",
        "",
        "",
        "Europe/Pari",  # a typo
        "Europe/Paris",
        "1",
        "general",  # not a server id
        GUILD,
        GENERAL,
        "",
        "",
    ]

    code, output = init(monkeypatch, "--config", str(config), typed=Typing(answers))

    assert code == 0
    assert said(EN.text("init.errors.choice", count=5), output)
    assert said(EN.text("init.errors.secret", variable="DISCORD_TOKEN"), output)
    assert said(EN.text("init.errors.number", minimum=1, maximum=10_000_000), output)
    assert said(EN.text("init.errors.timezone", value="Europe/Pari", close="Europe/Paris"), output)
    assert said(EN.text("init.errors.discord_id", value="general"), output)
    assert DISCORD_TOKEN_SHAPE not in config.read_text(encoding="utf-8")


def test_flags_and_defaults_ask_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "terreau.toml"
    typed = Typing([])

    code, output = init(
        monkeypatch,
        "--config",
        str(config),
        "--platform",
        "slack",
        "--id",
        "T0ACME",
        "--channel",
        "general=C0GENERAL",
        "--channel",
        "games=C0GAMES",
        "--audience",
        "public",
        "--size",
        "5000",
        "--language",
        "fr",
        "--defaults",
        typed=typed,
    )

    assert code == 0
    assert typed.read_lines == 0
    assert not said(FR.text("init.questions.audience"), output)
    [community] = tomllib.loads(config.read_text(encoding="utf-8"))["communities"]
    assert community["games"]["channel"] == "games"
    assert community["icebreaker"]["max_invitees"] == 2
    assert said(FR.text("init.done.secrets", names="SLACK_BOT_TOKEN, SLACK_APP_TOKEN"), output)


def test_defaults_without_a_server_id_name_the_missing_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "terreau.toml"

    code, output = init(monkeypatch, "--config", str(config), "--platform", "discord", "--defaults")

    assert code == 2
    assert said(EN.text("init.errors.missing_flag", flag="--id"), output)
    assert list(tmp_path.iterdir()) == []


def test_a_bad_flag_is_refused_like_a_bad_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "terreau.toml"

    code, output = init(
        monkeypatch, "--config", str(config), "--timezone", "Europe/Pariss", "--defaults"
    )

    assert code == 2
    assert said(
        EN.text("init.errors.timezone", value="Europe/Pariss", close="Europe/Paris"), output
    )
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_replaced_only_when_the_operator_says_yes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "terreau.toml"
    config.write_text("# mine\n", encoding="utf-8")

    code, output = init(monkeypatch, "--config", str(config), typed=Typing(["1", "n"]))

    assert code == 1
    assert said(EN.text("init.questions.overwrite", path=str(config)), output)
    assert config.read_text(encoding="utf-8") == "# mine\n"

    code, _ = init(monkeypatch, "--config", str(config), typed=Typing(["1", "y", *REMOTE_TEAM[1:]]))

    assert code == 0
    assert "[[communities]]" in config.read_text(encoding="utf-8")
    assert list(tmp_path.iterdir()) == [config]


def test_defaults_never_replace_a_file_without_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "terreau.toml"
    config.write_text("# mine\n", encoding="utf-8")

    code, output = init(monkeypatch, "--config", str(config), "--defaults")

    assert code == 2
    assert said(EN.text("init.errors.exists", path=str(config)), output)
    assert config.read_text(encoding="utf-8") == "# mine\n"

    assert init(monkeypatch, "--config", str(config), "--defaults", "--force")[0] == 0
    assert tomllib.loads(config.read_text(encoding="utf-8"))["communities"][0]["platform"] == (
        "console"
    )


@pytest.mark.parametrize("answered", [0, 5, len(REMOTE_TEAM) - 1])
def test_ctrl_c_at_any_question_leaves_nothing_written(
    answered: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "terreau.toml"
    typed = Typing(REMOTE_TEAM[:answered], then_interrupt=True)

    code, output = init(monkeypatch, "--config", str(config), typed=typed)

    assert code == 130
    assert said(EN.text("init.errors.stopped"), output)
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_the_file_is_checked_leaves_nothing_written(tmp_path: Path) -> None:
    checked: list[Path] = []

    def interrupted(path: Path) -> object:
        checked.append(path)
        assert path.exists() and path.parent == tmp_path  # written beside, not in place
        raise KeyboardInterrupt

    config = tmp_path / "terreau.toml"

    with pytest.raises(KeyboardInterrupt):
        write_config(
            config, 'database_url = "sqlite+aiosqlite:///t.db"\n', interrupted, replace=False
        )

    assert len(checked) == 1 and checked[0] != config
    assert list(tmp_path.iterdir()) == []


def test_the_end_of_the_input_stops_without_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "terreau.toml"

    code, output = init(monkeypatch, "--config", str(config), typed=Typing(REMOTE_TEAM[:3]))

    assert code == 1
    assert said(EN.text("init.errors.stopped"), output)
    assert list(tmp_path.iterdir()) == []


def test_help_lists_every_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["init", "--help"])

    shown = capsys.readouterr().out
    for flag in ("--language", "--audience", "--size", "--platform", "--id", "--channel"):
        assert flag in shown
    for flag in ("--defaults", "--force", "--config"):
        assert flag in shown
