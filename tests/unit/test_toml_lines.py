from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot._toml_lines import KeyPath, Location, Locator, syntax_error_line

pytestmark = pytest.mark.core

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted([*ROOT.glob("prompts/*/*.toml"), *ROOT.glob("examples/*.toml")])


def lines(text: str) -> dict[KeyPath, int]:
    tomllib.loads(text)  # the locator only reads documents tomllib accepts
    return {path: where.line for path, where in Locator(text).paths().items()}


def test_keys_tables_and_dotted_keys_are_located() -> None:
    text = 'top = 1\n\n[server]\nhost = "h"  # [not] = a table\nlimits.max = 3\n'
    assert lines(text) == {
        ("top",): 1,
        ("server",): 3,
        ("server", "host"): 4,
        ("server", "limits"): 5,
        ("server", "limits", "max"): 5,
    }


def test_implied_tables_are_placed_at_their_first_mention() -> None:
    text = "[a.b.c]\nx = 1\n[a]\ny = 2\n"
    assert lines(text) == {
        ("a",): 1,
        ("a", "b"): 1,
        ("a", "b", "c"): 1,
        ("a", "b", "c", "x"): 2,
        ("a", "y"): 4,
    }


def test_arrays_of_tables_are_counted_and_nested_headers_enter_the_last_element() -> None:
    text = (
        "[[communities]]\nid = 'a'\n"
        "[[communities.posts.schedules]]\nname = 'x'\n"
        "[[communities.posts.schedules]]\nname = 'y'\n"
        "[[communities]]\nid = 'b'\n"
        "[communities.channels]\ngeneral = 'g'\n"
    )
    found = lines(text)
    assert found[("communities",)] == 1
    assert found[("communities", 0, "id")] == 2
    assert found[("communities", 0, "posts")] == 3
    assert found[("communities", 0, "posts", "schedules", 0, "name")] == 4
    assert found[("communities", 0, "posts", "schedules", 1)] == 5
    assert found[("communities", 0, "posts", "schedules", 1, "name")] == 6
    assert found[("communities", 1)] == 7
    assert found[("communities", 1, "channels", "general")] == 10


def test_elements_of_arrays_and_inline_tables_are_located() -> None:
    text = (
        "ids = [\n  1,  # one\n  [2, 3],\n  { a.b = 'x', c = [4] },\n]\n"
        't = { "quoted key" = 1979-05-27 07:32:00Z, n = 5 }\n'
    )
    assert lines(text) == {
        ("ids",): 1,
        ("ids", 0): 2,
        ("ids", 1): 3,
        ("ids", 1, 0): 3,
        ("ids", 1, 1): 3,
        ("ids", 2): 4,
        ("ids", 2, "a"): 4,
        ("ids", 2, "a", "b"): 4,
        ("ids", 2, "c"): 4,
        ("ids", 2, "c", 0): 4,
        ("t",): 6,
        ("t", "quoted key"): 6,
        ("t", "n"): 6,
    }


def test_strings_that_look_like_toml_do_not_confuse_the_scan() -> None:
    text = (
        'a = "x = 1 # [t]"\n'
        "b = '''\n[[fake]]\nc = 2'''''\n"
        'd = """\\"""\n[fake]"""\n'
        "e = 'last'\n"
    )
    assert lines(text) == {("a",): 1, ("b",): 2, ("d",): 5, ("e",): 7}


def test_a_multi_line_string_records_where_its_text_starts() -> None:
    text = (
        'one = "x"\n'
        'two = """\nbody"""\n'
        'three = """same line\nmore"""\n'
        "four = ['''\nitem''']\n"
    )
    found = Locator(text).paths()
    assert found[("one",)] == Location(line=1, text_line=1)
    assert found[("two",)] == Location(line=2, text_line=3)
    assert found[("three",)] == Location(line=4, text_line=4)
    assert found[("four", 0)] == Location(line=6, text_line=7)


def test_windows_line_endings_count_lines_like_unix_ones() -> None:
    text = 'a = 1\r\nb = """\r\nx"""\r\n[t]\r\nc = 2\r\n'
    found = Locator(text).paths()
    assert found[("b",)] == Location(line=2, text_line=3)
    assert found[("t", "c")] == Location(line=5, text_line=5)


def test_a_path_that_is_not_written_falls_back_to_its_nearest_written_ancestor() -> None:
    locator = Locator('[pools.trivia]\ntitle = """\nTrivia"""\n')
    assert locator.line_of(("pools", "trivia", "items", 3, "id")) == 1
    assert locator.find(("pools", "trivia", "title", "x")) == Location(line=2, text_line=3)
    assert locator.line_of(("elsewhere", "key")) is None
    assert locator.find(()) is None
    assert Locator("").paths() == {}


def test_syntax_error_line_reads_the_line_tomllib_names() -> None:
    text = "a = 1\nb = = 2\n"
    with pytest.raises(tomllib.TOMLDecodeError) as caught:
        tomllib.loads(text)
    assert syntax_error_line(caught.value, text) == 2


def test_a_syntax_error_without_a_position_points_at_the_last_line() -> None:
    error = tomllib.TOMLDecodeError("Unclosed array (at end of document)")
    assert syntax_error_line(error, "a = [\n1,\n") == 3


def _paths(node: object, prefix: KeyPath = ()) -> list[KeyPath]:
    found: list[KeyPath] = []
    if isinstance(node, dict):
        for name, child in node.items():
            found += [(*prefix, name), *_paths(child, (*prefix, name))]
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += [(*prefix, index), *_paths(child, (*prefix, index))]
    return found


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_key_of_a_shipped_file_is_located_on_a_line_that_names_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    source_lines = text.splitlines()
    located = Locator(text).paths()
    for key_path in _paths(tomllib.loads(text)):
        assert key_path in located, key_path
        name = key_path[-1]
        if isinstance(name, str):
            assert name in source_lines[located[key_path].line - 1], key_path


def test_the_shipped_files_are_found() -> None:
    assert any(path.parent.name == "en" for path in SHIPPED)
    assert any(path.parent.name == "examples" for path in SHIPPED)
