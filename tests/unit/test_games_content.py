"""Trivia and poll content: the shipped files, operator files, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import parse_settings
from bot.features.games import describe, load_content, matches, normalize
from bot.prompts import PromptError

pytestmark = pytest.mark.games

ROOT = Path(__file__).parents[2]
PROMPTS = ROOT / "prompts"
FIXTURES = ROOT / "tests" / "games_content"

COMMUNITY = """
[[communities]]
platform = "console"
id = "demo"
name = "Demo"
language = "{language}"
channels = {{ general = "general" }}
"""


def settings_for(tmp_path: Path, games: str = "", *, language: str = "en", prompts: Path = PROMPTS):
    text = f'prompts_dir = "{prompts}"\n' + COMMUNITY.format(language=language)
    if games:
        text += "[communities.games]\n" + games
    return parse_settings(text, tmp_path / "terreau.toml")


def problems_of(tmp_path: Path, files: dict[str, str]) -> list[str]:
    """Load operator trivia/polls written in tmp_path and return the problem lines."""
    for name, body in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    games = 'trivia_dirs = ["mine/trivia"]\n'
    if any(name.startswith("mine/polls") for name in files):
        games += 'poll_dirs = ["mine/polls"]\n'
    (tmp_path / "mine" / "trivia").mkdir(parents=True, exist_ok=True)
    if not any(name.startswith("mine/trivia") for name in files):
        (tmp_path / "mine" / "trivia" / "fixtures.toml").write_text(
            (FIXTURES / "trivia" / "fixtures.toml").read_text(encoding="utf-8"), encoding="utf-8"
        )
    with pytest.raises(PromptError) as raised:
        load_content(settings_for(tmp_path, games))
    return [str(problem) for problem in raised.value.problems]


def test_every_shipped_file_loads_in_both_languages(tmp_path: Path) -> None:
    for language in ("en", "fr"):
        contents = load_content(settings_for(tmp_path, language=language))
        content = contents["console:demo"]
        assert len(content.trivia) >= 150, (language, describe(content))
        assert len(content.polls) >= 40, (language, describe(content))
        assert {"general", "science", "language", "culture", "technology"} <= set(
            content.categories
        )
        assert set(content.poll_kinds) == {"this_or_that", "would_you_rather"}
        for question in content.trivia.values():
            if question.is_choice:
                assert question.answer in question.choices
            else:
                assert question.accepted


def test_shipped_ids_are_the_same_in_english_and_french(tmp_path: Path) -> None:
    english = load_content(settings_for(tmp_path, language="en"))["console:demo"]
    french = load_content(settings_for(tmp_path, language="fr"))["console:demo"]
    assert set(english.trivia) == set(french.trivia)
    assert set(english.polls) == set(french.polls)
    for item_id, question in english.trivia.items():
        assert question.category == french.trivia[item_id].category, item_id
        assert question.is_choice == french.trivia[item_id].is_choice, item_id


def test_operator_directories_add_their_questions(tmp_path: Path) -> None:
    games = f'trivia_dirs = ["{FIXTURES / "trivia"}"]\npoll_dirs = ["{FIXTURES / "polls"}"]\n'
    content = load_content(settings_for(tmp_path, games))["console:demo"]
    assert {"fixtures", "capitals"} <= set(content.categories)
    assert content.trivia["capitals-001"].accepted == ("Reykjavík",)
    assert content.trivia["fixture-001"].answer == "Apple"
    assert content.polls["fixture-tot-1"].options == ("Mountains", "Sea")
    assert [q.id for q in content.questions("fixtures")] == ["fixture-001", "fixture-002"]


def test_errors_name_the_file_the_line_and_the_field(tmp_path: Path) -> None:
    body = """category = "mine"
title = "Mine"

[[questions]]
id = "mine-001"
difficulty = "easy"
question = "Pick one"
choices = ["A", "B"]
answer = "C"

[[questions]]
id = "mine-002"
difficulty = "trivial"
question = "Type it"
accepted = ["x"]

[[questions]]
id = "mine-002"
difficulty = "easy"
question = "Again"
accepted = ["y"]

[[questions]]
id = "mine-004"
difficulty = "easy"
question = "Both"
choices = ["A", "B"]
answer = "A"
accepted = ["A"]

[[questions]]
id = "mine-005"
difficulty = "easy"
question = ""
choices = ["A", "B", "C", "D", "E", "F"]
answer = "A"
hint = "no such field"
"""
    problems = problems_of(tmp_path, {"mine/trivia/mine.toml": body})
    path = tmp_path / "mine" / "trivia" / "mine.toml"
    expected = [
        f"{path}:9: questions[0].answer: `answer` 'C' is not one of the choices",
        f"{path}:13: questions[1].difficulty: `difficulty` must be one of easy, medium, hard",
        f"{path}:18: questions[2].id: duplicate id 'mine-002' (first in {path}:11)",
        f"{path}:23: questions[3]: give either `choices` and `answer`",
        f"{path}:34: questions[4].question: `question` must be a non-empty string",
        f"{path}:35: questions[4].choices: `choices` must be a list of 2 to 5 non-empty strings",
        f"{path}:37: questions[4].hint: unknown field 'hint'",
    ]
    for line in expected:
        assert any(problem.startswith(line) for problem in problems), (line, problems)
    assert len(problems) == len(expected), problems


def test_file_level_errors(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        {
            "mine/trivia/quiz.toml": 'category = "other"\ntitle = "Quiz"\n',
            "mine/trivia/broken.toml": 'category = "broken"\ntitle = \n',
            "mine/polls/best.toml": (
                'kind = "best"\ntitle = "Best"\n[[polls]]\nid = "b-1"\n'
                'question = "?"\noptions = ["only one"]\n'
            ),
        },
    )
    quiz = tmp_path / "mine" / "trivia" / "quiz.toml"
    broken = tmp_path / "mine" / "trivia" / "broken.toml"
    best = tmp_path / "mine" / "polls" / "best.toml"
    assert any(p.startswith(f"{quiz}:1: category: `category` must be 'quiz'") for p in problems)
    assert any(p.startswith(f"{quiz}:") and "add at least one [[questions]]" in p for p in problems)
    assert any(p.startswith(f"{broken}:2: TOML syntax error") for p in problems)
    assert any(f"{best}:1: kind: unknown kind 'best'" in p for p in problems)
    assert any(
        f"{best}:6: polls[0].options: `options` must be a list of 2 to 5" in p for p in problems
    )


def test_a_missing_operator_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="game content directory not found"):
        load_content(settings_for(tmp_path, 'trivia_dirs = ["nowhere"]\n'))


def test_a_scheduled_category_must_exist(tmp_path: Path) -> None:
    games = (
        'channel = "general"\n[[communities.games.schedules]]\n'
        'name = "daily"\ngame = "trivia"\ncron = "0 12 * * *"\ncategory = "astrology"\n'
    )
    with pytest.raises(
        PromptError, match=r"schedules\[0\]\.category: no trivia category 'astrology'"
    ):
        load_content(settings_for(tmp_path, games))


@pytest.mark.parametrize(
    ("given", "accepted", "expected"),
    [
        ("paris", ["Paris"], True),
        ("  PARIS!! ", ["Paris"], True),
        ("reykjavik", ["Reykjavík"], True),
        ("Reykjavík.", ["reykjavik"], True),
        ("«Ça»", ["ca"], True),
        ("new   york", ["New York"], True),
        ("paris london", ["Paris"], False),
        ("pari", ["Paris"], False),
        ("!!!", ["Paris"], False),
        ("Au", ["Au", "gold"], True),
        ("C", ["C++"], False),
        ("c++?", ["C++"], True),
    ],
)
def test_free_answers_match_ignoring_case_accents_and_punctuation(
    given: str, accepted: list[str], expected: bool
) -> None:
    assert matches(given, accepted) is expected


def test_normalize_keeps_inner_punctuation() -> None:
    assert normalize(" C++! ") == "c++"
    assert normalize("C#.") == "c#"
    assert normalize("l'été") == "l'ete"


def test_terreau_check_reports_bad_content_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import EXIT_INVALID, EXIT_OK, main

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "product.toml").write_text(
        'category = "product"\ntitle = "Product"\n\n[[questions]]\nid = "product-001"\n'
        'difficulty = "easy"\nquestion = "Which year?"\nchoices = ["2019", "2021"]\n'
        'answer = "2020"\n',
        encoding="utf-8",
    )
    config = tmp_path / "terreau.toml"
    config.write_text(
        COMMUNITY.format(language="en") + '[communities.games]\ntrivia_dirs = ["mine"]\n',
        encoding="utf-8",
    )
    assert main(["check", "--config", str(config)]) == EXIT_INVALID
    error = capsys.readouterr().err
    assert f"{mine / 'product.toml'}:9: questions[0].answer: `answer` '2020'" in error

    (mine / "product.toml").write_text(
        (mine / "product.toml").read_text(encoding="utf-8").replace('"2020"', '"2021"'),
        encoding="utf-8",
    )
    assert main(["check", "--config", str(config)]) == EXIT_OK
    assert "trivia questions in 6 categories" in capsys.readouterr().out
