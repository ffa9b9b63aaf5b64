"""Counted sentences agree at 0, 1, 2 and 21, by each language's CLDR plural rules (Babel).

Every prompt that counts (its template calls `plural(...)`) is rendered at those
counts in every language into `tests/golden/plurals/<language>.txt`, a file to
read when a counted sentence changes (regenerate as for the other golden files:
`TERREAU_UPDATE_GOLDEN=1 pytest tests/unit/test_plurals.py`). The forms each
`plural()` call picks are checked against CLDR: French says "0 message" like "1
message", English says "0 messages" like "2 messages", and 21 is plural in both.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.prompts import Catalog, Problem, PromptError, Prompts, RenderError
from bot.prompts._files import read_language
from bot.prompts._render import Renderer
from tests.prompt_samples import samples

pytestmark = pytest.mark.core

ROOT = Path(__file__).parents[2]
PROMPTS = Prompts.load(ROOT / "prompts")
GOLDEN = ROOT / "tests" / "golden" / "plurals"
COUNTS = (0, 1, 2, 21)
UPDATE = os.environ.get("TERREAU_UPDATE_GOLDEN") == "1"
_SOURCES = {
    language: "\n".join(
        path.read_text(encoding="utf-8")
        for path in sorted((ROOT / "prompts" / language).rglob("*.toml"))
    )
    for language in PROMPTS.languages
}
_HAND_MADE = re.compile(r"(==|!=|<=|>=|<|>)\s*[12]\b|\b[12]\s*(==|!=|<|>)")
_EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def _sources_by_key(language: str) -> dict[str, str]:
    problems: list[Problem] = []
    source = read_language(language, [ROOT / "prompts"], problems)
    assert problems == []
    return {key: entry.source for key, entry in source.strings.items()}


SOURCES_BY_KEY = {language: _sources_by_key(language) for language in PROMPTS.languages}


def counted_keys(catalog: Catalog) -> list[str]:
    """Return the keys whose template picks a plural form."""
    return [key for key in catalog.keys() if "plural(" in SOURCES_BY_KEY[catalog.language][key]]


@contextmanager
def recorded(catalog: Catalog) -> Iterator[list[tuple[object, object]]]:
    """Record (count, form) for every `plural()` call while rendering."""
    globals_ = catalog._renderer.env.globals
    original: Callable[..., object] = globals_["plural"]
    calls: list[tuple[object, object]] = []

    def plural(count: object, one: object, other: object, **forms: object) -> object:
        form = original(count, one, other, **forms)
        calls.append((count, form))
        return form

    globals_["plural"] = plural
    try:
        yield calls
    finally:
        globals_["plural"] = original


BRANCHES = {"me.interests.invalid": {"rejected": None}}
"""Variables that steer a template to its counted branch."""


def rendered(catalog: Catalog, key: str) -> dict[int, tuple[str, list[object]]]:
    """Return each count's plain text and the forms its `plural()` calls picked."""
    result = {}
    for count in COUNTS:
        variables = {**samples(key, count=count, hostile=False), **BRANCHES.get(key, {})}
        with recorded(catalog) as calls:
            text = catalog.post(key, **variables).plain_text()
        # A form may hold its count ("les 21 derniers jours"): compare it as "N".
        result[count] = (text, [str(form).replace(str(count), "N") for _, form in calls])
    return result


@pytest.mark.parametrize("language", PROMPTS.languages)
def test_plural_follows_the_languages_cldr_rules(language: str) -> None:
    plural = Renderer(language).env.globals["plural"]
    picks = [plural(count, "one", "other", many="many") for count in (0, 1, 2, 21, 1_000_000)]

    expected = {
        "en": ["other", "one", "other", "other", "other"],
        "fr": ["one", "one", "other", "other", "many"],
    }
    assert picks == expected[language]


def test_plural_refuses_what_is_not_a_count_or_a_category(tmp_path: Path) -> None:
    for language in ("en", "fr"):
        folder = tmp_path / language
        folder.mkdir()
        (folder / "a.toml").write_text(
            "word = \"{{ plural(n, 'a', 'b') }}\"\nodd = \"{{ plural(1, 'a', 'b', some='c') }}\"\n",
            encoding="utf-8",
        )
    catalog = Prompts.load(tmp_path).catalog("en")

    with pytest.raises(RenderError, match="counts a number"):
        catalog.post("a.word", n="three")
    with pytest.raises(RenderError, match="not some"):
        catalog.post("a.odd")


def test_an_unknown_language_is_a_prompt_problem(tmp_path: Path) -> None:
    for language in ("en", "zz"):
        (tmp_path / language).mkdir()
        (tmp_path / language / "a.toml").write_text('x = "y"\n', encoding="utf-8")

    with pytest.raises(PromptError, match="no CLDR plural rules for language 'zz'"):
        Prompts.load(tmp_path)


@pytest.mark.parametrize("language", PROMPTS.languages)
def test_no_template_picks_a_plural_form_by_hand(language: str) -> None:
    expressions = _EXPRESSION.findall(_SOURCES[language])
    # Ordinal days ("1er décembre") are not plurals.
    hand_made = [e for e in expressions if _HAND_MADE.search(e) and "day ==" not in e]
    assert hand_made == [], "use plural(count, one, other) instead"


@pytest.mark.parametrize("language", PROMPTS.languages)
def test_every_counted_sentence_agrees_at_0_1_2_and_21(language: str) -> None:
    catalog = PROMPTS.catalog(language)
    keys = counted_keys(catalog)
    assert "privacy.kinds.activity_levels" in keys
    lines = []
    for key in keys:
        texts = rendered(catalog, key)
        forms = {count: picked for count, (_, picked) in texts.items()}
        zero_like = 1 if language == "fr" else 2
        if forms[0]:  # a sentence for zero ("Nobody voted") picks no form at all
            assert forms[0] == forms[zero_like], (key, forms)
        assert forms[21] == forms[2], (key, forms)
        lines.append(f"## {key}")
        lines.extend(f"{count}: {text}" for count, (text, _) in texts.items())
        lines.append("")
    expected = "\n".join(lines)
    path = GOLDEN / f"{language}.txt"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expected, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == expected, (
        "counted sentences changed: regenerate with TERREAU_UPDATE_GOLDEN=1 and read the diff"
    )


def test_what_me_data_says_in_french_agrees_with_its_count() -> None:
    # French takes the singular for 0 and 1 and the plural from 2: each sentence changes
    # with its count (the exact words are in the golden file, tests/golden/plurals/fr.txt).
    catalog = PROMPTS.catalog("fr")

    def kind(name: str, count: int) -> str:
        return catalog.text(f"privacy.kinds.{name}", count=count)

    for name in ("activity_levels", "interests", "election_actions"):
        assert kind(name, 0) == kind(name, 1).replace("1", "0", 1), name
        assert kind(name, 21) == kind(name, 2).replace("2", "21", 1), name
        assert kind(name, 1) != kind(name, 2).replace("2", "1", 1), name
