"""Property-based tests: any config text or command line gives a result or a clear error.

"Clear" is checked, not assumed: a `ConfigError` lists problems that each carry a
message (and a line when it can), a `LineError` says what is wrong, and a
`CommandProblem` names a prompt that renders in every language with its variables.
Example counts stay modest so the suite stays fast; under `CI` the examples are
derandomized (the `ci` profile in `conftest.py`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.console._syntax import Line, LineError, parse_line
from adapters.console.translate import Context, translate_line
from bot.command_line import read_command_line
from bot.commands import Command, CommandProblem, CommandRegistry, Option, OptionKind, Permission
from bot.config import ConfigError, Settings, parse_settings
from bot.domain import CommandInvoked, Member
from bot.features.posts import PostsConfig
from tests.faults.conftest import KEY, PROMPTS

pytestmark = pytest.mark.core

CONFIG_PATH = Path("/nonexistent/terreau.toml")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

# -- the config loader


def check_config(text: str) -> None:
    """Parse `text`: a `Settings`, or a `ConfigError` whose every problem says something."""
    try:
        result = parse_settings(text, CONFIG_PATH)
    except ConfigError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.message.strip()
            assert problem.line is None or 1 <= problem.line <= text.count("\n") + 1
        assert str(error).startswith(str(CONFIG_PATH))
    else:
        assert isinstance(result, Settings)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_a_config_or_a_clear_error(text: str) -> None:
    check_config(text)


KEYS = st.sampled_from(
    [
        "database_url",
        "log_level",
        "platform",
        "id",
        "name",
        "language",
        "timezone",
        "channels",
        "cron",
        "pool",
        "grace_minutes",
        "batch_size",
        "store_content",
        "workers",
        "shard_count",
        "token",
        "bogus",
        '"quoted key"',
        "a.b",
    ]
)
TABLES = st.sampled_from(
    [
        "[[communities]]",
        "[communities.posts]",
        "[[communities.posts.schedules]]",
        "[ingest]",
        "[scheduler]",
        "[discord]",
        "[slack]",
        "[console]",
        "[communities]",
        "[[ingest]]",
        "[",
    ]
)
SCALARS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["true", "false", "inf", "nan", "1979-05-27T07:32:00Z", "07:32:00", "[]"]),
    st.text(max_size=20).map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.text(max_size=10),
)
TOMLISH_LINE = st.one_of(
    TABLES,
    st.tuples(KEYS, SCALARS).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    st.tuples(KEYS, st.lists(SCALARS, max_size=3)).map(
        lambda kv: f"{kv[0]} = [{', '.join(kv[1])}]"
    ),
    st.tuples(KEYS, KEYS, SCALARS).map(lambda kv: f"{kv[0]} = {{ {kv[1]} = {kv[2]} }}"),
    st.text(max_size=20),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(TOMLISH_LINE, max_size=15).map("\n".join))
def test_toml_ish_text_is_a_config_or_a_clear_error(text: str) -> None:
    check_config(text)


def toml_value(value: Any) -> str:
    """Spell a value in TOML (strings as JSON strings, which TOML reads the same)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{ " + ", ".join(f"{toml_value(k)} = {toml_value(v)}" for k, v in value.items()) + " }"


def toml_document(document: dict[str, Any]) -> str:
    """Write a config document: top-level keys, tables, then arrays of communities."""
    lines: list[str] = []
    tables = {k: v for k, v in document.items() if isinstance(v, dict)}
    for key, value in document.items():
        if not isinstance(value, dict) and key != "communities":
            lines.append(f"{key} = {toml_value(value)}")
    for name, table in tables.items():
        lines.append(f"[{name}]")
        lines.extend(f"{toml_value(k)} = {toml_value(v)}" for k, v in table.items())
    for community in document.get("communities", []):
        lines.append("[[communities]]")
        posts = community.get("posts")
        for key, value in community.items():
            if key != "posts":
                lines.append(f"{toml_value(key)} = {toml_value(value)}")
        if posts is not None:
            lines.append("[communities.posts]")
            lines.append(f"dead_channel_after = {toml_value(posts['dead_channel_after'])}")
            for schedule in posts["schedules"]:
                lines.append("[[communities.posts.schedules]]")
                lines.extend(f"{toml_value(k)} = {toml_value(v)}" for k, v in schedule.items())
    return "\n".join(lines) + "\n"


WORDS = st.one_of(
    st.sampled_from(
        ["general", "mods", "demo", "", "x" * 40, "Général", "a b", "123456789012345678"]
    ),
    st.text(max_size=12),
)
NUMBERS = st.one_of(st.integers(-5, 200), st.integers(-(2**63), 2**63))
CRONS = st.one_of(
    st.sampled_from(["0 9 * * 1", "*/15 * * * *", "0 9 31 2 *", "61 * * * *", "@daily", ""]),
    st.lists(st.sampled_from(["*", "0", "9", "1-5", "*/2", "x", "99"]), min_size=1, max_size=7).map(
        " ".join
    ),
)
SCHEDULE = st.fixed_dictionaries(
    {"name": WORDS, "channel": WORDS, "cron": CRONS, "pool": WORDS},
    optional={"thread": st.booleans(), "grace_minutes": NUMBERS, "extra": WORDS},
)
COMMUNITY = st.fixed_dictionaries(
    {
        "platform": st.sampled_from(["console", "discord", "slack", "irc"]),
        "id": WORDS,
        "name": WORDS,
    },
    optional={
        "language": st.sampled_from(["en", "fr", "de"]),
        "timezone": st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Mars/Base"]),
        "moderator_roles": st.lists(WORDS, max_size=2),
        "channels": st.dictionaries(WORDS, WORDS, max_size=3),
        "posts": st.fixed_dictionaries(
            {"dead_channel_after": NUMBERS, "schedules": st.lists(SCHEDULE, max_size=2)}
        ),
    },
)
DOCUMENT = st.fixed_dictionaries(
    {"communities": st.lists(COMMUNITY, max_size=2)},
    optional={
        "database_url": st.sampled_from(
            ["sqlite+aiosqlite:///t.db", "postgresql+asyncpg://u:pw@h/db", "mysql://x", "::"]
        ),
        "log_level": st.sampled_from(["INFO", "debug", "LOUD"]),
        "ingest": st.fixed_dictionaries(
            {},
            optional={
                "batch_size": NUMBERS,
                "queue_size": NUMBERS,
                "flush_interval_ms": NUMBERS,
                "store_content": st.booleans(),
            },
        ),
        "scheduler": st.fixed_dictionaries({}, optional={"workers": NUMBERS}),
        "discord": st.fixed_dictionaries(
            {},
            optional={
                "shard_count": NUMBERS,
                "shard_ids": st.lists(NUMBERS, max_size=3),
                "token": WORDS,
            },
        ),
        "console": st.fixed_dictionaries(
            {}, optional={"member": WORDS, "moderators": st.lists(WORDS, max_size=2)}
        ),
    },
)


@settings(max_examples=120, deadline=None)
@given(DOCUMENT)
def test_structurally_valid_documents_with_random_values_load_or_fail_clearly(
    document: dict[str, Any],
) -> None:
    check_config(toml_document(document))


def test_the_document_writer_writes_what_the_loader_reads() -> None:
    """The generator above is only useful if its documents are read as written."""
    document = {
        "communities": [
            {
                "platform": "console",
                "id": "demo",
                "name": 'Démo "quoted" \x7f',
                "channels": {"general": "général"},
                "posts": {
                    "dead_channel_after": 2,
                    "schedules": [
                        {
                            "name": "q",
                            "channel": "general",
                            "cron": "0 9 * * 1",
                            "pool": "discussion",
                        }
                    ],
                },
            }
        ],
        "ingest": {"store_content": True},
    }
    loaded = parse_settings(toml_document(document), CONFIG_PATH)
    [community] = loaded.communities
    assert community.name == 'Démo "quoted" \x7f'
    assert community.channels == {"general": "général"}
    assert community.section(PostsConfig).schedules[0].cron == "0 9 * * 1"
    assert loaded.ingest.store_content is True


# -- the console line syntax


def console_context() -> Context:
    return Context(
        community=KEY,
        channels={"general": "general", "moderators": "mods"},
        channel_id="general",
        speaker="you",
        moderators=("you",),
        members={"alice": Member(id="alice", display_name="alice")},
        messages={},
        next_number=1,
        event_prefix="console-prop",
        next_event=1,
        now=NOW,
    )


COMMAND_WORDS = st.sampled_from(
    [
        "/terreau",
        "/reply",
        "/react",
        "/unreact",
        "/choose",
        "/thread",
        "/edit",
        "/delete",
        "/in",
        "/as",
        "/join",
        "/leave",
        "/wait",
        "/help",
        "/quit",
        "/TERREAU",
        "/nope",
    ]
)
ARGUMENTS = st.one_of(
    st.sampled_from(["12", "#3", "0", "-1", "٣", "99999999999999999999", "1h30m", "0s", "3d"]),
    st.sampled_from(['"quoted', "'", '"a b"', ":thumbsup:", "👍", "@everyone", "everyone"]),
    st.text(max_size=8),
)
LINES = st.one_of(
    st.text(max_size=80),
    st.tuples(
        st.sampled_from(["", "alice> ", "bob> ", "everyone> ", "x" * 40 + "> ", "> "]),
        COMMAND_WORDS,
        st.lists(ARGUMENTS, max_size=4),
    ).map(lambda parts: f"{parts[0]}{parts[1]} {' '.join(parts[2])}"),
)


@settings(max_examples=300, deadline=None)
@given(LINES)
def test_any_console_line_parses_or_says_what_is_wrong(text: str) -> None:
    try:
        line = parse_line(text)
    except LineError as error:
        assert str(error).strip()
    else:
        assert isinstance(line, Line)
    outcome = translate_line(text, console_context())
    assert outcome.error is None or outcome.error.strip()
    assert outcome.error is None or outcome.events == ()


# -- binding commands


def registry() -> CommandRegistry:
    """Commands with every kind of option, declared as features declare theirs."""

    async def handler(_context: object) -> None:
        return None

    commands = CommandRegistry()
    for group, action, options, permission in [
        ("posts", "now", (Option(name="ritual"),), Permission.MODERATOR),
        ("posts", "list", (), Permission.MODERATOR),
        (
            "game",
            "trivia",
            (
                Option(name="category", kind=OptionKind.CHOICE, choices=("science", "art")),
                Option(
                    name="questions",
                    kind=OptionKind.INTEGER,
                    required=False,
                    minimum=1,
                    maximum=20,
                ),
            ),
            Permission.MEMBER,
        ),
        (
            "election",
            "nominate",
            (
                Option(name="member", kind=OptionKind.MEMBER),
                Option(name="reason", rest=True),
            ),
            Permission.MEMBER,
        ),
        ("help", "", (Option(name="topic", required=False),), Permission.MEMBER),
    ]:
        commands.register(
            Command(
                group=group,
                action=action,
                handler=handler,
                options=options,
                permission=permission,
            )
        )
    return commands


REGISTRY = registry()
NAMES = st.one_of(
    st.sampled_from(["posts", "game", "election", "help", "now", "list", "trivia", "nominate", ""]),
    st.text(max_size=8),
)
OPTION_NAMES = st.sampled_from(
    ["ritual", "category", "questions", "member", "reason", "topic", "x"]
)
VALUES = st.one_of(
    st.sampled_from(["5", "0", "21", "-3", "1e3", "99999999999999999999999", "Science", " "]),
    st.sampled_from(["<@123>", "<@!U1|bob>", "@alice", "<@&42>", "@everyone"]),
    st.text(max_size=10),
)


@settings(max_examples=300, deadline=None)
@given(
    group=NAMES,
    action=NAMES,
    args=st.lists(VALUES, max_size=5),
    options=st.dictionaries(OPTION_NAMES, VALUES, max_size=3),
    moderator=st.booleans(),
)
def test_any_command_binds_or_gets_a_problem_that_renders(
    group: str, action: str, args: list[str], options: dict[str, str], moderator: bool
) -> None:
    event = CommandInvoked(
        event_id="e1",
        community=KEY,
        occurred_at=NOW,
        member=Member(id="alice", display_name="Alice"),
        channel_id="general",
        group=group,
        action=action,
        args=tuple(args),
        options=options,
    )
    try:
        command, bound = REGISTRY.bind(event, moderator=moderator)
    except CommandProblem as problem:
        for language in PROMPTS.languages:
            text = PROMPTS.catalog(language).text(problem.key, member="Alice", **problem.variables)
            assert text.strip()
    else:
        assert {option.name for option in command.options} == set(bound)
        for option in command.options:
            value = bound[option.name]
            if value is None:
                assert not option.required
            elif option.kind is OptionKind.INTEGER:
                assert isinstance(value, int)
                assert option.minimum is None or value >= option.minimum
                assert option.maximum is None or value <= option.maximum
            elif option.kind is OptionKind.CHOICE:
                assert value in option.choices


LINE_PIECES = st.sampled_from(
    [
        *("posts", "now", "election", "nominate", "game", "twotruths", "help", "trivia", "@bob"),
        *("'", '"', "“", "”", "«", "»", "she's", '"quoted words"', "'x", "y'", " ", "  ", "\t"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.one_of(LINE_PIECES, st.text(max_size=6)), max_size=8),
    moderator=st.booleans(),
)
def test_any_typed_line_binds_or_gets_a_problem_that_renders(
    pieces: list[str], moderator: bool
) -> None:
    line = read_command_line(" ".join(pieces))
    event = CommandInvoked(
        event_id="e1",
        community=KEY,
        occurred_at=NOW,
        member=Member(id="alice", display_name="Alice"),
        channel_id="general",
        group=line.group,
        action=line.action,
        text=line.text,
    )
    try:
        command, bound = REGISTRY.bind(event, moderator=moderator)
    except CommandProblem as problem:
        for language in PROMPTS.languages:
            text = PROMPTS.catalog(language).text(problem.key, member="Alice", **problem.variables)
            assert text.strip()
    else:
        assert {option.name for option in command.options} == set(bound)
