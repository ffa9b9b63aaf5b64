"""Prompts: loading and validating prompts/, sandboxed rendering, and the shipped content."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.domain import Mention, Post, mention_marker
from bot.domain.mentions import LITERAL_CLOSE, LITERAL_OPEN
from bot.prompts import (
    DEFAULT_MAX_LENGTH,
    Catalog,
    Problem,
    PromptError,
    PromptLookupError,
    Prompts,
    RenderError,
)

pytestmark = pytest.mark.core

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"

MINIMUM_POOL_SIZES = {
    "discussion": 45,
    "working_on": 12,
    "show_and_tell": 12,
    "tips": 25,
    "weekend": 12,
}

# The command tree: group -> action -> options ("" = a group called without an action).
COMMAND_TREE: dict[str, dict[str, tuple[str, ...]]] = {
    "help": {"": ("topic",)},
    "posts": {
        "list": (),
        "now": ("ritual",),
        "pause": ("ritual",),
        "resume": ("ritual",),
    },
    "game": {
        "trivia": ("category", "questions"),
        "poll": ("question", "options"),
        "twotruths": ("truth1", "truth2", "lie"),
        "leaderboard": ("season",),
    },
    "election": {
        "status": (),
        "nominate": ("member", "reason"),
        "vote": (),
        "receipt": (),
        "halloffame": (),
        "start": (),
        "extend": ("hours",),
        "close": (),
        "cancel": (),
        "decide": ("member",),
    },
    "icebreaker": {
        "preview": (),
        "now": (),
        "stats": (),
        "hosts": (),
        "offer": ("member", "target"),
    },
    "cafe": {
        "join": (),
        "leave": (),
        "snooze": ("duration",),
        "avoid": ("member",),
        "unavoid": ("member",),
        "stats": (),
    },
    "group": {
        "propose": ("topic", "why"),
        "list": (),
        "join": ("group",),
        "leave": ("group",),
        "close": ("group",),
    },
    "holdup": {
        "submit": ("problem", "wanted", "context"),
        "idea": ("text",),
        "dot": ("idea", "points"),
        "followup": ("text",),
        "list": (),
        "approve": ("holdup",),
        "reject": ("holdup",),
    },
    "invite": {"link": (), "from": ("member",)},
    "live": {
        "schedule": ("title", "start", "minutes", "host", "cohost"),
        "list": (),
        "cancel": ("session",),
        "ask": ("question",),
        "anonymous": ("question",),
        "queue": (),
        "next": (),
        "answered": ("number",),
        "merge": ("number", "into"),
    },
    "me": {
        "optout": (),
        "optin": (),
        "interests": ("topics",),
        "champion": ("state",),
        "data": (),
        "export": (),
        "forget": (),
    },
    "report": {"": ("period", "channel")},
}

ALICE = Mention(member_id="U1", display_name="Alice")
BOB = Mention(member_id="U2", display_name="Bob")


def write(root: Path, files: dict[str, str]) -> Path:
    """Write `{"en/a.toml": source, ...}` under root and return root."""
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return root


def both(source: str, name: str = "a.toml") -> dict[str, str]:
    """The same file in en and fr."""
    return {f"en/{name}": source, f"fr/{name}": source}


def problems_of(root: Path, extra: tuple[Path, ...] = ()) -> tuple[Problem, ...]:
    with pytest.raises(PromptError) as caught:
        Prompts.load(root, extra)
    return caught.value.problems


def only(problems: tuple[Problem, ...]) -> Problem:
    assert len(problems) == 1, "\n".join(str(problem) for problem in problems)
    return problems[0]


def catalog(tmp_path: Path, source: str, *, max_length: int | None = None) -> Catalog:
    root = write(tmp_path, both(source))
    if max_length is None:
        return Prompts.load(root).catalog("en")
    return Prompts.load(root, max_length=max_length).catalog("en")


POOL = """
    [pools.questions]
    title = "Question"

    [[pools.questions.items]]
    id = "first"
    tags = ["learning"]
    text = "What are you learning?"
"""


# The shipped prompts


def test_real_prompts_load_in_both_languages() -> None:
    prompts = Prompts.load(PROMPTS)

    assert prompts.languages == ("en", "fr")
    for language in prompts.languages:
        assert prompts.catalog(language).language == language


def test_every_shipped_pool_item_renders_as_a_post_with_its_title() -> None:
    prompts = Prompts.load(PROMPTS)

    for language in prompts.languages:
        catalog = prompts.catalog(language)
        for name, pool in catalog.pools().items():
            title = catalog.text_of_title(name)
            for item in pool.items:
                post = catalog.render_item(name, item.id)
                assert post.text.startswith(f"{title}\n\n"), (language, name, item.id)
                assert post.text.endswith(item.text.strip()), (language, name, item.id)
                assert post.mentions == ()


def test_shipped_content_sizes() -> None:
    prompts = Prompts.load(PROMPTS)

    for language in prompts.languages:
        pools = prompts.catalog(language).pools()
        for name, minimum in MINIMUM_POOL_SIZES.items():
            items = pools[name].items
            assert len(items) >= minimum, (language, name, len(items))
            assert len({item.text for item in items}) == len(items), (language, name)
            assert all(item.tags for item in items), (language, name)


def test_shipped_pools_share_ids_and_tags_across_languages() -> None:
    prompts = Prompts.load(PROMPTS)
    english = prompts.catalog("en").pools()
    french = prompts.catalog("fr").pools()

    assert set(MINIMUM_POOL_SIZES) <= set(english)
    for name in MINIMUM_POOL_SIZES:
        assert [(i.id, i.tags) for i in english[name].items] == [
            (i.id, i.tags) for i in french[name].items
        ], name
        assert [i.text for i in english[name].items] != [i.text for i in french[name].items]


def test_command_help_covers_the_whole_tree_in_both_languages() -> None:
    prompts = Prompts.load(PROMPTS)
    expected = {"commands.help.intro", "commands.help.footer"}
    for group, actions in COMMAND_TREE.items():
        expected.add(f"commands.{group}.help")
        for action, options in actions.items():
            prefix = f"commands.{group}" + (f".{action}" if action else "")
            expected.add(f"{prefix}.help")
            expected.update(f"{prefix}.options.{option}" for option in options)

    for language in prompts.languages:
        catalog = prompts.catalog(language)
        assert set(catalog.keys("commands.")) == expected, language
        for key in expected:
            text = catalog.text(key)
            assert text.strip(), (language, key)
        intro = catalog.post("commands.help.intro").text
        for group in COMMAND_TREE:
            if group != "help":
                assert f"`{group}`" in intro, (language, group)


def test_command_descriptions_fit_a_discord_description() -> None:
    prompts = Prompts.load(PROMPTS)
    long_form = {"commands.help.intro", "commands.help.footer"}

    for language in prompts.languages:
        catalog = prompts.catalog(language)
        for key in set(catalog.keys("commands.")) - long_form:
            text = catalog.text(key)
            assert len(text) <= 100 and "\n" not in text, (language, key, len(text))


def test_french_text_uses_no_break_spaces_before_high_punctuation() -> None:
    catalog = Prompts.load(PROMPTS).catalog("fr")
    texts = [catalog.text(key) for key in catalog.keys("commands.")]
    texts += [item.text for pool in catalog.pools().values() for item in pool.items]

    for text in texts:
        assert not re.search(r" [?!:;»]|« ", text), text


def test_dates_read_naturally_in_each_language_and_follow_the_timezone() -> None:
    prompts = Prompts.load(PROMPTS)
    english, french = prompts.catalog("en"), prompts.catalog("fr")
    summer = datetime(2025, 7, 1, 7, 5, tzinfo=UTC)
    winter = datetime(2025, 3, 4, 17, 0, tzinfo=UTC)

    assert english.format_datetime(summer, "Europe/Paris") == "Tuesday 1 July at 09:05 (CEST)"
    assert (
        french.format_datetime(summer, "Europe/Paris")
        == "mardi 1er juillet à 9\u00a0h\u00a005 (CEST)"
    )
    assert french.format_datetime(winter, "Europe/Paris", "time") == "18\u00a0h"
    assert english.format_datetime(winter, "America/New_York", "full_date") == (
        "Tuesday 4 March 2025"
    )
    assert french.format_datetime(date(2025, 12, 25), style="date") == "jeudi 25 décembre"
    with pytest.raises(ValueError, match="timezone-aware"):
        english.format_datetime(datetime(2025, 3, 4, 17, 0), "UTC")  # noqa: DTZ001
    with pytest.raises(ValueError, match="unknown timezone"):
        english.format_datetime(summer, "Mars/Olympus_Mons")


def test_date_filters_in_templates(tmp_path: Path) -> None:
    formats = (PROMPTS / "en" / "formats.toml").read_text(encoding="utf-8")
    root = write(
        tmp_path,
        {
            **both(formats, "formats.toml"),
            **both('closes = "Closes {{ when|datetime(tz) }}, on {{ when|date(tz) }}."'),
        },
    )
    catalog = Prompts.load(root).catalog("en")

    text = catalog.text("a.closes", when=datetime(2025, 3, 30, 23, 30, tzinfo=UTC), tz="Asia/Tokyo")

    assert text == "Closes Monday 31 March at 08:30 (JST), on Monday 31 March."


def test_plural_follows_each_language_rule(tmp_path: Path) -> None:
    source = "replies = \"{{ n }} {{ plural(n, 'reply', 'replies') }}\""
    prompts = Prompts.load(write(tmp_path, both(source)))
    english, french = prompts.catalog("en"), prompts.catalog("fr")

    assert [english.text("a.replies", n=n) for n in (0, 1, 2)] == [
        "0 replies",
        "1 reply",
        "2 replies",
    ]
    assert [french.text("a.replies", n=n) for n in (0, 1, 2)] == [
        "0 reply",
        "1 reply",
        "2 replies",
    ]


# Validation


def test_any_file_name_is_a_namespace(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            **both('[posts.list]\nbody = "Rituals"', "messages.toml"),
            **both('hello = "Hi"', "zz-custom_2.toml"),
        },
    )
    catalog = Prompts.load(root).catalog("fr")

    assert catalog.has("messages.posts.list.body")
    assert catalog.text("zz-custom_2.hello") == "Hi"
    assert not catalog.has("messages.posts.list")


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"en/a.toml": 'ok = "fine"\nbroken = \n', "fr/a.toml": 'ok = "bien"\nbroken = "x"\n'},
    )

    problem = only(problems_of(root))

    assert problem.file == root / "en" / "a.toml"
    assert problem.line == 2
    assert "TOML syntax error" in problem.message


def test_key_missing_in_french_is_reported_in_the_french_file(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "en/a.toml": 'greeting = "Hello"\n[nested]\nfarewell = "Bye"\n',
            "fr/a.toml": 'greeting = "Bonjour"\n',
        },
    )

    problem = only(problems_of(root))

    assert problem.file == root / "fr" / "a.toml"
    assert problem.key == "a.nested.farewell"
    assert f"missing in 'fr'; defined in {root / 'en' / 'a.toml'}:3" in problem.message
    assert str(problem).startswith(f"{root / 'fr' / 'a.toml'}: a.nested.farewell: missing")


def test_key_missing_in_english_is_reported_too(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"en/a.toml": 'greeting = "Hello"\n', "fr/b.toml": 'extra = "En plus"\n'},
    )
    root.joinpath("fr", "a.toml").write_text('greeting = "Bonjour"\n', encoding="utf-8")

    problem = only(problems_of(root))

    assert (problem.file, problem.key) == (root / "en" / "b.toml", "b.extra")
    assert "missing in 'en'" in problem.message


def test_mismatched_placeholders_name_both_sets(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "en/a.toml": 'other = "x"\nwelcome = "Welcome {{ name }}, {{ count }} posts"\n',
            "fr/a.toml": 'other = "x"\nwelcome = "Bienvenue {{ nom }}"\n',
        },
    )

    problem = only(problems_of(root))

    assert (problem.file, problem.key, problem.line) == (root / "fr" / "a.toml", "a.welcome", 2)
    assert "en uses {count, name}, fr uses {nom}" in problem.message


def test_template_syntax_error_points_at_the_line_in_the_file(tmp_path: Path) -> None:
    source = 'title = "T"\nbody = """\nfirst line\nsecond line\n{% if x %}never closed\n"""\n'
    root = write(tmp_path, both(source))

    problems = problems_of(root)

    assert {problem.file for problem in problems} == {root / "en/a.toml", root / "fr/a.toml"}
    for problem in problems:
        assert problem.key == "a.body"
        assert "template does not parse" in problem.message
        assert "template line 3" in problem.message
        assert problem.line == 5


def test_sandbox_rules_are_checked_at_load(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        both(
            """
            dunder = "{{ x.__class__ }}"
            item = "{{ x['__globals__'] }}"
            mutate = "{{ items.append(1) }}"
            mro = "{{ x.mro }}"
            include = "{% include 'other' %}"
            filter = "{{ x|no_such_filter }}"
            """
        ),
    )

    problems = [p for p in problems_of(root) if p.file == root / "en" / "a.toml"]

    messages = {problem.key: problem.message for problem in problems}
    assert "forbids access to '__class__'" in messages["a.dunder"]
    assert "forbids access to '__globals__'" in messages["a.item"]
    assert "forbids changing values ('append')" in messages["a.mutate"]
    assert "forbids access to 'mro'" in messages["a.mro"]
    assert "cannot include" in messages["a.include"]
    assert "unknown filter 'no_such_filter'" in messages["a.filter"]
    assert [problem.line for problem in sorted(problems, key=lambda p: p.line or 0)] == list(
        range(1, 7)
    )


def test_sandbox_blocks_attribute_access_at_render_time(tmp_path: Path) -> None:
    cat = catalog(tmp_path, 'lookup = "{{ x[name] }}"')

    with pytest.raises(RenderError, match="unsafe") as caught:
        cat.text("a.lookup", x="text", name="__class__")

    assert caught.value.key == "a.lookup"


def test_strict_undefined_names_the_key_and_the_variable(tmp_path: Path) -> None:
    cat = catalog(tmp_path, 'hello = "Hello {{ who }}"')

    with pytest.raises(RenderError) as caught:
        cat.text("a.hello")

    assert str(caught.value) == "cannot render prompt 'a.hello' (en): 'who' is undefined"


def test_unknown_key_pool_item_and_language_are_lookup_errors(tmp_path: Path) -> None:
    root = write(tmp_path, both(POOL))
    prompts = Prompts.load(root)
    cat = prompts.catalog("en")

    with pytest.raises(PromptLookupError, match=r"no prompt 'a\.nope' in language 'en'"):
        cat.text("a.nope")
    with pytest.raises(PromptLookupError, match="no pool 'nope'"):
        cat.pool("nope")
    with pytest.raises(PromptLookupError, match="no item 'nope' in pool 'questions'"):
        cat.render_item("questions", "nope")
    with pytest.raises(PromptLookupError, match=r"no prompts in language 'de' \(have: en, fr\)"):
        prompts.catalog("de")


def test_non_string_values_and_empty_texts_are_problems(tmp_path: Path) -> None:
    root = write(tmp_path, both('count = 3\nblank = "   "\nfine = "ok"\n'))

    problems = [p for p in problems_of(root) if p.file == root / "en" / "a.toml"]

    assert [(p.key, p.line, p.message) for p in problems] == [
        ("a.count", 1, "expected a string or a table, found int"),
        ("a.blank", 2, "empty text"),
    ]


def test_marker_characters_in_a_template_are_refused(tmp_path: Path) -> None:
    source = f'sneaky = "hi {mention_marker(0)}"\n'
    root = write(tmp_path, both(source))

    problems = problems_of(root)

    assert len(problems) == 2
    assert all("reserved marker characters" in problem.message for problem in problems)


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "en/a.toml": 'one = "{{ x"\ntwo = "{{ a }}"\nthree = "en only"\n',
            "fr/a.toml": 'one = "ok"\ntwo = "{{ b }}"\n',
            "en/b.toml": "this is not toml\n",
            "fr/b.toml": 'fine = "ok"\n',
        },
    )

    with pytest.raises(PromptError) as caught:
        Prompts.load(root)

    error = caught.value
    assert len(error.problems) == 4
    lines = str(error).splitlines()
    assert lines[0] == "4 problems in the prompt files:"
    assert [line.split(": ")[0].strip("- ").strip() for line in lines[1:]] == [
        f"{root / 'en' / 'a.toml'}:1",
        f"{root / 'en' / 'b.toml'}:1",
        f"{root / 'fr' / 'a.toml'}",
        f"{root / 'fr' / 'a.toml'}:2",
    ]


def test_missing_directory_and_missing_languages(tmp_path: Path) -> None:
    assert "prompt directory not found" in only(problems_of(tmp_path / "nope")).message
    assert "no language folders" in only(problems_of(tmp_path)).message


# Pools


def test_pool_is_loaded_with_items_and_tags(tmp_path: Path) -> None:
    root = write(tmp_path, both(POOL))
    cat = Prompts.load(root).catalog("fr")

    pool = cat.pool("questions")

    assert pool.title == "Question"
    assert [(item.id, item.text, item.tags) for item in pool.items] == [
        ("first", "What are you learning?", ("learning",))
    ]
    assert cat.render_item("questions", "first").text == "Question\n\nWhat are you learning?"


def test_pool_items_render_with_variables_and_mentions(tmp_path: Path) -> None:
    source = """
        [pools.welcome]
        title = "Welcome, {{ who }}!"
        [[pools.welcome.items]]
        id = "hello"
        text = "Tell us about {{ topic }}."
    """
    cat = catalog(tmp_path, source)

    post = cat.render_item("welcome", "hello", who=ALICE, topic="your week")

    assert bare(post) == f"Welcome, {mention_marker(0)}!\n\nTell us about your week."
    assert post.mentions == (ALICE,)


def test_duplicate_and_malformed_item_ids(tmp_path: Path) -> None:
    source = """
        [pools.q]
        title = "Q"
        [[pools.q.items]]
        id = "same"
        text = "One"
        [[pools.q.items]]
        id = "same"
        text = "Two"
        [[pools.q.items]]
        id = "Not A Slug"
        text = "Three"
        [[pools.q.items]]
        text = "No id"
    """
    root = write(tmp_path, both(source))

    problems = [p for p in problems_of(root) if p.file == root / "en" / "a.toml"]

    assert [(p.line, p.key) for p in problems] == [
        (7, "pools.q.same"),
        (10, "pools.q item #2"),
        (12, "pools.q item #3"),
    ]
    assert problems[0].message == "duplicate item id; first used at line 3"
    assert problems[1].message.startswith("malformed item id 'Not A Slug'")
    assert problems[2].message.startswith("malformed item id None")


def test_empty_pool_empty_text_and_unknown_fields(tmp_path: Path) -> None:
    source = """
        [pools.empty]
        title = "Nothing"

        [pools.q]
        title = "Q"
        colour = "blue"
        [[pools.q.items]]
        id = "blank"
        text = ""
        [[pools.q.items]]
        id = "ok"
        text = "Fine"
        weight = 2
    """
    root = write(tmp_path, both(source))

    problems = [p for p in problems_of(root) if p.file == root / "en" / "a.toml"]

    assert [(p.line, p.key, p.message) for p in problems] == [
        (1, "pools.empty", "pool has no items"),
        (6, "pools.q", "unknown pool field 'colour'"),
        (9, "pools.q.blank", "empty text"),
        (13, "pools.q item #1", "unknown item field 'weight'"),
    ]


def test_pool_missing_in_one_language(tmp_path: Path) -> None:
    root = write(tmp_path, {"en/a.toml": POOL, "fr/a.toml": 'other = "x"\n'})
    root.joinpath("en", "a.toml").write_text(
        'other = "x"\n' + textwrap.dedent(POOL), encoding="utf-8"
    )

    problem = only(problems_of(root))

    assert (problem.file, problem.key) == (root / "fr" / "a.toml", "pools.questions")
    assert f"pool missing in 'fr'; defined in {root / 'en' / 'a.toml'}:3" in problem.message


def test_pool_names_are_global_across_files(tmp_path: Path) -> None:
    root = write(tmp_path, {**both(POOL, "a.toml"), **both(POOL, "b.toml")})

    problems = problems_of(root)

    assert len(problems) == 2
    assert all(p.file.name == "b.toml" and "pool defined twice" in p.message for p in problems)


def test_pool_placeholders_must_match_across_languages(tmp_path: Path) -> None:
    english = POOL.replace("What are you learning?", "What are you learning, {{ who }}?")
    root = write(tmp_path, {"en/a.toml": english, "fr/a.toml": POOL})

    problem = only(problems_of(root))

    assert problem.key == "pools.questions.first"
    assert "en uses {who}, fr uses no placeholders" in problem.message


def test_extra_directories_add_pools_and_strings(tmp_path: Path) -> None:
    main = write(tmp_path / "main", both('hello = "Hi"\n'))
    extra = write(
        tmp_path / "extra",
        both('motto = "Grow together"\n' + POOL.replace("questions", "local_trivia"), "a.toml"),
    )

    cat = Prompts.load(main, [extra]).catalog("en")

    assert set(cat.pools()) == {"local_trivia"}
    assert cat.text("a.motto") == "Grow together"
    assert cat.text("a.hello") == "Hi"


def test_extra_directories_get_the_same_checks(tmp_path: Path) -> None:
    main = write(tmp_path / "main", {**both('hello = "Hi"\n'), **both(POOL, "pools.toml")})
    extra = write(
        tmp_path / "extra",
        {
            **both('hello = "Hello again"\n'),
            **both(POOL, "more.toml"),
            "en/local.toml": 'only = "english"\n',
            "de/a.toml": 'hallo = "Hallo"\n',
        },
    )

    problems = problems_of(main, (extra,))

    messages = sorted(f"{p.file.relative_to(tmp_path)} {p.key} {p.message}" for p in problems)
    assert len(messages) == 6, "\n".join(messages)
    assert sum("defined twice" in m and m.startswith("extra/") for m in messages) == 4
    assert any(m.startswith("extra/de None language 'de' is not in") for m in messages)
    assert any(m.startswith("extra/fr/local.toml local.only missing in 'fr'") for m in messages)


# Rendering: member text, mentions, cap


def bare(post: Post) -> str:
    """The post's text without its literal-run edges (markup and mention markers kept)."""
    return post.text.replace(LITERAL_OPEN, "").replace(LITERAL_CLOSE, "")


def test_member_text_loses_marker_characters(tmp_path: Path) -> None:
    cat = catalog(tmp_path, 'said = "{{ name }} said: {{ words }}"')
    forged = f"hi {mention_marker(0)} there"

    post = cat.post("a.said", name=f"Eve{mention_marker(1)}", words=forged)

    assert post.plain_text() == "Eve1 said: hi 0 there"
    assert post.mentions == ()


def test_member_text_is_never_a_template_and_never_a_mention(tmp_path: Path) -> None:
    cat = catalog(tmp_path, 'quote = "{{ member_text }}"\nlisted = "{{ words }}"')

    post = cat.post("a.quote", member_text="{{ 7*7 }} @everyone {% if 1 %}x{% endif %}")
    listed = cat.post("a.listed", words=["@here", "{{ 7*7 }}"])

    assert post.plain_text() == "{{ 7*7 }} @everyone {% if 1 %}x{% endif %}"
    assert post.mentions == ()
    assert listed.plain_text() == "@here, {{ 7*7 }}"
    assert listed.mentions == ()


def test_mentions_become_markers_in_order_of_appearance(tmp_path: Path) -> None:
    cat = catalog(
        tmp_path,
        """
        thanks = "{{ helper }} helped {{ asker }}; thanks {{ helper }}!"
        crowd = "Nominees: {{ nominees }}."
        loop = "{% for m in nominees %}[{{ m }}]{% endfor %} ({{ nominees|length }})"
        joined = "{{ first ~ ' & ' ~ second }}"
        """,
    )

    thanks = cat.post("a.thanks", asker=ALICE, helper=BOB)
    crowd = cat.post("a.crowd", nominees=[ALICE, BOB])
    loop = cat.post("a.loop", nominees=(BOB, ALICE))
    joined = cat.post("a.joined", first=ALICE, second=BOB)

    m0, m1 = mention_marker(0), mention_marker(1)
    assert bare(thanks) == f"{m0} helped {m1}; thanks {m0}!"
    assert thanks.mentions == (BOB, ALICE)
    assert thanks.plain_text() == "@Bob helped @Alice; thanks @Bob!"
    assert cat.text("a.thanks", asker=ALICE, helper=BOB) == "@Bob helped @Alice; thanks @Bob!"
    assert bare(crowd) == f"Nominees: {m0}, {m1}."
    assert crowd.mentions == (ALICE, BOB)
    assert bare(loop) == f"[{m0}][{m1}] (2)"
    assert loop.mentions == (BOB, ALICE)
    assert bare(joined) == f"{m0} & {m1}"
    assert joined.mentions == (ALICE, BOB)


def test_a_display_name_cannot_forge_a_mention(tmp_path: Path) -> None:
    cat = catalog(tmp_path, 'hi = "Hi {{ who }}"')
    sneaky = Mention(member_id="U9", display_name=f"x{mention_marker(0)}")

    post = cat.post("a.hi", who=sneaky)

    assert post.mentions == (sneaky,)
    assert bare(post) == f"Hi {mention_marker(0)}"


def test_long_output_is_cut_on_a_word_boundary(tmp_path: Path) -> None:
    cat = catalog(tmp_path, 'echo = "Said: {{ words }}"', max_length=40)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa"

    post = cat.post("a.echo", words=words)
    short = cat.post("a.echo", words="alpha beta")

    assert bare(post) == "Said: alpha beta gamma delta epsilon…"
    assert post.plain_text() == "Said: alpha beta gamma delta epsilon…"
    assert len(post.text) <= 40
    assert short.plain_text() == "Said: alpha beta"


def test_cap_keeps_only_the_mentions_still_shown(tmp_path: Path) -> None:
    cat = catalog(tmp_path, 'line = "{{ a }} {{ filler }} {{ b }}"', max_length=30)

    post = cat.post("a.line", a=ALICE, filler="word " * 20, b=BOB)

    assert len(post.text) <= 30
    assert bare(post).startswith(f"{mention_marker(0)} word")
    assert post.text.endswith("…")
    assert post.mentions == (ALICE,)
    assert len(cat.text("a.line", a=ALICE, filler="word " * 20, b=BOB)) <= 30


def test_default_guard_cuts_only_runaway_output(tmp_path: Path) -> None:
    cat = catalog(tmp_path, 'echo = "{{ words }}"')

    runaway = cat.text("a.echo", words="word " * 5000)
    long_answer = cat.post("a.echo", words="word " * 800)

    assert 19_900 < len(runaway) <= DEFAULT_MAX_LENGTH
    assert runaway.endswith("word…")
    assert long_answer.plain_text() == "word " * 800


@pytest.mark.parametrize(
    ("language", "feature", "expected"),
    [
        ("en", "holdup", "Members who clicked buttons of hold-ups"),
        ("en", "game", "Members who clicked buttons of games"),
        ("en", "privacy", "Members who clicked buttons about their data"),
        ("en", "newfeature", "Members who clicked buttons of newfeature"),
        ("fr", "election", "Membres ayant cliqué sur les boutons du membre du mois"),
        ("fr", "cafe", "Membres ayant cliqué sur les boutons des cafés"),
        ("fr", "newfeature", "Membres ayant cliqué sur les boutons de newfeature"),
    ],
)
def test_the_report_names_the_feature_whose_buttons_were_clicked(
    language: str, feature: str, expected: str
) -> None:
    catalog = Prompts.load(PROMPTS).catalog(language)
    assert catalog.text("report.figures.clicks", feature=feature) == expected


def test_every_feature_with_buttons_has_a_name_in_the_report() -> None:
    features = set()
    for path in (Path(__file__).parents[2] / "bot" / "features").rglob("*.py"):
        features |= set(re.findall(r'on_choice\("(\w+)"', path.read_text(encoding="utf-8")))
    assert features >= {"game", "election", "holdup"}
    prompts = Prompts.load(PROMPTS)
    for language, raw in (("en", "of {}"), ("fr", "de {}")):
        catalog = prompts.catalog(language)
        for feature in features:
            text = catalog.text("report.figures.clicks", feature=feature)
            assert not text.endswith(raw.format(feature)), (language, feature, text)


LAYOUT = '''
ideas = """
Ideas:
{% for i in ideas %}
{{ loop.index }}. {{ i }}
{% endfor %}
• {{ author }}: {{ ideas|length }}"""
reason = """
> {{ reason }}

{{ reason }}"""
'''


def test_member_line_breaks_never_break_a_list_item(tmp_path: Path) -> None:
    cat = catalog(tmp_path, LAYOUT)

    post = cat.post(
        "a.ideas", ideas=["Use Redis\r\n  or memcached\n\n", "one"], author="Eve\nAdams"
    )

    assert post.plain_text() == "Ideas:\n1. Use Redis / or memcached\n2. one\n• Eve / Adams: 2"
    # Each part stays member text: a line break cannot smuggle markup out of it.
    trick = cat.post("a.ideas", ideas=["x\n# heading\n> quote"], author="Eve")
    assert bare(trick) == "Ideas:\n1. x / # heading / > quote\n• Eve: 1"
    assert f"{LITERAL_OPEN}x / # heading / > quote{LITERAL_CLOSE}" in trick.text


def test_member_line_breaks_stay_inside_a_quote_and_are_kept_elsewhere(tmp_path: Path) -> None:
    cat = catalog(tmp_path, LAYOUT)

    post = cat.post("a.reason", reason="She helped everyone.\nEvery week!")

    assert post.plain_text() == (
        "> She helped everyone.\n> Every week!\n\nShe helped everyone.\nEvery week!"
    )
    assert f"{LITERAL_CLOSE}\n> {LITERAL_OPEN}" in post.text


def test_a_text_line_ending_with_a_block_tag_is_refused_where_it_would_glue_lines(
    tmp_path: Path,
) -> None:
    fine = """
    ok = \"\"\"
    {% if a %}
    One line.
    {% endif %}
    Total: {{ n }}{% if a %} (all){% endif %}

    Last line.\"\"\"
    kept = \"\"\"
    Total: {{ n }}{% if a %} (all){% endif +%}
    Next line.\"\"\"
    """
    glued = (
        fine
        + """
    glued = \"\"\"
    Total: {{ n }}{% if a %} (all){% endif %}
    Next line.\"\"\"
    """
    )

    [english, french] = problems_of(write(tmp_path / "glued", both(glued)))
    cat = catalog(tmp_path / "fine", fine)

    assert (english.key, french.key) == ("a.glued", "a.glued")
    assert "+%}" in english.message and "(template line 1)" in english.message
    assert cat.text("a.ok", a=True, n=3) == "One line.\nTotal: 3 (all)\nLast line."
    assert cat.text("a.kept", a=True, n=3) == "Total: 3 (all)\nNext line."
    assert cat.text("a.kept", a=False, n=3) == "Total: 3\nNext line."
