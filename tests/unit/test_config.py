from __future__ import annotations

from pathlib import Path

import pydantic
import pytest
from sqlalchemy.engine import make_url

from bot.config import (
    CommunityConfig,
    ConfigError,
    ConfigProblem,
    Secrets,
    Settings,
    check_secrets,
    load_settings,
    parse_settings,
)
from bot.domain import Community
from bot.features.posts import PostsConfig, RitualConfig

pytestmark = pytest.mark.core

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

BASE = """\
[[communities]]
platform = "console"
id = "demo"
name = "Demo"
channels = { general = "general", moderators = "mods" }

[[communities.posts.schedules]]
name = "weekly"
channel = "general"
cron = "0 9 * * 1"
pool = "discussion"
"""

DISCORD_TOKEN = "MTAxMjM0NTY3ODkwMTIzNDU2Nzg5.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


def line_of(text: str, fragment: str) -> int:
    """Return the 1-based line of the only line of `text` containing `fragment`."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(found) == 1, f"{fragment!r} is on lines {found}"
    return found[0]


def problems(text: str, path: Path = Path("terreau.toml")) -> tuple[ConfigProblem, ...]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, path)
    return caught.value.problems


def only_problem(text: str) -> ConfigProblem:
    found = problems(text)
    assert len(found) == 1, "\n".join(str(p) for p in found)
    return found[0]


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


# ------------------------------------------------------------------ valid files


def test_the_example_files_load() -> None:
    settings = load_settings(EXAMPLES / "terreau.toml")
    assert settings.config_path == EXAMPLES / "terreau.toml"
    (community,) = settings.communities
    assert community.key == "console:demo"
    assert community.timezone == "Europe/Paris"
    assert community.channels == {"general": "general", "moderators": "mods"}
    ritual, *others = community.section(PostsConfig).schedules
    assert [other.name for other in others] == ["tip", "working-on"]
    assert ritual == RitualConfig(
        name="question-of-the-week",
        channel="general",
        cron="0 9 * * 1",
        pool="discussion",
        thread=True,
        grace_minutes=120,
    )
    assert load_settings(EXAMPLES / "minimal.toml").communities[0].key == "console:demo"


def test_a_minimal_file_gets_every_default() -> None:
    text = '[[communities]]\nplatform = "console"\nid = "demo"\nname = "Demo"\n'
    settings = parse_settings(text, Path("/srv/terreau/terreau.toml"))
    assert settings.database_url == "sqlite+aiosqlite:///terreau.db"
    assert settings.log_level == "INFO"
    assert settings.prompts_dir == ROOT / "prompts"
    assert (settings.console.member, settings.console.moderators) == ("you", ("you",))
    discord = settings.discord
    assert discord.api_base == "https://discord.com/api/v10"
    assert discord.gateway_url == "wss://gateway.discord.gg"
    assert (discord.shard_count, discord.shard_ids) == (1, (0,))
    assert (discord.message_content, discord.members_intent) == (False, True)
    slack = settings.slack
    assert (slack.api_base, slack.mode) == ("https://slack.com/api/", "socket")
    assert (slack.http_host, slack.http_port) == ("127.0.0.1", 3000)
    assert settings.scheduler.workers == 32
    ingest = settings.ingest
    assert (ingest.batch_size, ingest.flush_interval_ms, ingest.queue_size) == (500, 200, 4_000)
    assert ingest.store_content is False
    (community,) = settings.communities
    assert (community.language, community.timezone) == ("en", "UTC")
    assert (community.moderator_roles, community.channels) == ((), {})
    assert community.section(PostsConfig) == PostsConfig(dead_channel_after=3, schedules=())


def test_rotations_rest_no_prompt_unless_asked() -> None:
    community = parse_settings(BASE, Path("t.toml")).communities[0]
    assert community.section(PostsConfig).rest_silent_prompts is False
    text = edit('name = "Demo"', 'name = "Demo"\nposts.rest_silent_prompts = true')
    resting = parse_settings(text, Path("t.toml")).communities[0]
    assert resting.section(PostsConfig).rest_silent_prompts is True


def test_resting_prompts_takes_true_or_false() -> None:
    text = edit('name = "Demo"', 'name = "Demo"\nposts.rest_silent_prompts = "yes"')
    problem = only_problem(text)
    assert (problem.line, problem.path) == (
        line_of(text, "rest_silent_prompts"),
        "communities[0].posts.rest_silent_prompts",
    )


def test_ritual_defaults() -> None:
    ritual = parse_settings(BASE, Path("t.toml")).communities[0].section(PostsConfig).schedules[0]
    assert (ritual.thread, ritual.grace_minutes) == (False, 120)


def test_a_community_config_gives_its_key_and_domain_community() -> None:
    community = parse_settings(
        edit('name = "Demo"', 'name = "Demo"\nlanguage = "fr"\ntimezone = "America/Montreal"'),
        Path("t.toml"),
    ).communities[0]
    assert community.key == "console:demo"
    assert community.community() == Community(
        platform="console", id="demo", name="Demo", language="fr", timezone="America/Montreal"
    )


def test_log_level_is_case_insensitive() -> None:
    assert parse_settings('log_level = "debug"\n' + BASE, Path("t.toml")).log_level == "DEBUG"


def test_discord_runs_every_shard_unless_told_otherwise() -> None:
    settings = parse_settings("[discord]\nshard_count = 3\n" + BASE, Path("t.toml"))
    assert settings.discord.shard_ids == (0, 1, 2)
    settings = parse_settings(
        "[discord]\nshard_count = 3\nshard_ids = [2]\n" + BASE, Path("t.toml")
    )
    assert settings.discord.shard_ids == (2,)


def test_slack_api_base_always_ends_with_a_slash() -> None:
    text = '[slack]\napi_base = "http://127.0.0.1:8080/api"\n' + BASE
    assert parse_settings(text, Path("t.toml")).slack.api_base == "http://127.0.0.1:8080/api/"


def test_prompts_dir_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    config = tmp_path / "conf" / "terreau.toml"
    config.parent.mkdir()
    config.write_text('prompts_dir = "../content"\n' + BASE, encoding="utf-8")
    assert load_settings(config).prompts_dir == tmp_path / "conf" / ".." / "content"
    assert load_settings(config).prompts_dir.resolve() == (tmp_path / "content").resolve()


def test_a_missing_prompts_dir_is_a_problem(tmp_path: Path) -> None:
    found = problems('prompts_dir = "nowhere"\n' + BASE, tmp_path / "terreau.toml")
    assert [(p.line, p.path, p.message) for p in found] == [
        (1, "prompts_dir", f"directory not found: {tmp_path / 'nowhere'}")
    ]


def test_dotted_keys_define_tables_too() -> None:
    text = edit('name = "Demo"', 'name = "Demo"\nposts.dead_channel_after = 0')
    community = parse_settings(text, Path("t.toml")).communities[0]
    assert community.section(PostsConfig).dead_channel_after == 0
    assert community.section(PostsConfig).schedules[0].name == "weekly"


# ------------------------------------------------------------------ the error report


def test_the_error_message_lists_every_problem_with_line_and_key_path() -> None:
    text = edit('cron = "0 9 * * 1"', 'cron = "61 * * * *"') + (
        '\n[[communities]]\nplatform = "console"\nid = "other"\nname = "Other"\n'
        'timezone = "Europe/Pari"\n'
    )
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, Path("examples/bad.toml"))
    assert str(caught.value) == (
        "examples/bad.toml: 2 problems\n"
        '  line 10, communities[0].posts.schedules[0].cron: invalid cron expression "61 * * * *":'
        ' minute field "61": must be 0-59\n'
        '  line 17, communities[1].timezone: unknown timezone "Europe/Pari"'
        ' (did you mean "Europe/Paris"?)'
    )
    assert caught.value.path == Path("examples/bad.toml")


def test_all_problems_are_reported_at_once_in_file_order() -> None:
    text = (
        'log_level = "LOUD"\n[console]\nmember = "bob smith"\n[ingest]\nbatch_size = 0\n'
        + edit('channel = "general"', 'channel = "genral"')
        + 'grace_minutes = -5\nnam = "x"\n'
    )
    found = problems(text)
    assert [(p.line, p.path) for p in found] == [
        (1, "log_level"),
        (3, "console.member"),
        (5, "ingest.batch_size"),
        (line_of(text, "genral"), "communities[0].posts.schedules[0].channel"),
        (line_of(text, "grace_minutes"), "communities[0].posts.schedules[0].grace_minutes"),
        (line_of(text, "nam ="), "communities[0].posts.schedules[0].nam"),
    ]


def test_a_single_problem_says_one_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(edit('id = "demo"', 'id = "Demo"'), Path("c.toml"))
    assert str(caught.value).splitlines()[0] == "c.toml: 1 problem"


def test_config_error_takes_key_path_and_message_pairs() -> None:
    error = ConfigError(Path("c.toml"), [("communities[0].posts.schedules[0].pool", "unknown")])
    assert str(error) == "c.toml: 1 problem\n  communities[0].posts.schedules[0].pool: unknown"


# ------------------------------------------------------------------ each rule

# (what to change in BASE, or text to put before it; key path; message; where the line is)
RULES = [
    # root
    (
        'database_url = "mysql://db/x"\n',
        "database_url",
        'unsupported database driver "mysql" (use sqlite+aiosqlite:// or postgresql+asyncpg://)',
        "database_url",
    ),
    (
        'database_url = "not a url"\n',
        "database_url",
        'invalid database URL "not a url"',
        "database_url",
    ),
    (
        'log_level = "LOUD"\n',
        "log_level",
        "expected 'DEBUG', 'INFO', 'WARNING' or 'ERROR', got \"LOUD\"",
        "log_level",
    ),
    (
        "log_level = 3\n",
        "log_level",
        "expected 'DEBUG', 'INFO', 'WARNING' or 'ERROR', got 3",
        "log_level",
    ),
    # console
    (
        '[console]\nmember = "bob smith"\n',
        "console.member",
        'expected one word (letters, digits, "_", "-" or "."), got "bob smith"',
        "member",
    ),
    (
        '[console]\nmoderators = ["you", "a>b"]\n',
        "console.moderators[1]",
        'expected one word (letters, digits, "_", "-" or "."), got "a>b"',
        "a>b",
    ),
    (
        '[console]\nmoderators = "you"\n',
        "console.moderators",
        'expected an array, got "you"',
        'moderators = "you"',
    ),
    # discord
    (
        '[discord]\napi_base = "discord.com/api"\n',
        "discord.api_base",
        'expected a https:// or http:// URL, got "discord.com/api"',
        "api_base",
    ),
    (
        '[discord]\ngateway_url = "https://gateway.discord.gg"\n',
        "discord.gateway_url",
        'expected a wss:// or ws:// URL, got "https://gateway.discord.gg"',
        "gateway_url",
    ),
    (
        "[discord]\nshard_count = 0\n",
        "discord.shard_count",
        "must be at least 1, got 0",
        "shard_count",
    ),
    (
        "[discord]\nshard_count = 2\nshard_ids = [0, 2]\n",
        "discord.shard_ids",
        "shard id 2 is not below shard_count 2",
        "shard_ids",
    ),
    (
        "[discord]\nshard_count = 4\nshard_ids = [1, 3, 1]\n",
        "discord.shard_ids",
        "shard id 1 is listed twice",
        "shard_ids",
    ),
    (
        "[discord]\nshard_count = 4\nshard_ids = [-1]\n",
        "discord.shard_ids",
        "shard id -1 is negative",
        "shard_ids",
    ),
    ("[discord]\nshard_ids = []\n", "discord.shard_ids", "list at least one shard id", "shard_ids"),
    (
        '[discord]\nmessage_content = "yes"\n',
        "discord.message_content",
        'expected true or false, got "yes"',
        "message_content",
    ),
    # slack
    (
        '[slack]\nmode = "websocket"\n',
        "slack.mode",
        "expected 'socket' or 'http', got \"websocket\"",
        "websocket",
    ),
    (
        "[slack]\nhttp_port = 70000\n",
        "slack.http_port",
        "must be at most 65535, got 70000",
        "http_port",
    ),
    ('[slack]\nhttp_host = ""\n', "slack.http_host", "must not be empty", "http_host"),
    # scheduler and ingest
    ("[scheduler]\nworkers = 0\n", "scheduler.workers", "must be at least 1, got 0", "workers"),
    (
        "[ingest]\nflush_interval_ms = 0\n",
        "ingest.flush_interval_ms",
        "must be at least 1, got 0",
        "flush_interval_ms",
    ),
    (
        "[ingest]\nqueue_size = 100\n",
        "ingest.queue_size",
        "must be at least batch_size (500), got 100",
        "queue_size",
    ),
    (
        "[ingest]\nstore_content = 1\n",
        "ingest.store_content",
        "expected true or false, got 1",
        "store_content",
    ),
    (
        "[ingest]\nbatch_size = 1.5\n",
        "ingest.batch_size",
        "expected an integer, got 1.5",
        "batch_size",
    ),
    # communities
    (
        ('platform = "console"', 'platform = "irc"'),
        "communities[0].platform",
        "expected 'console', 'discord', 'slack' or 'matrix', got \"irc\"",
        "platform",
    ),
    (
        ('id = "demo"', 'id = "Demo Club"'),
        "communities[0].id",
        'expected a slug (lowercase letters, digits, "-" or "_"), got "Demo Club"',
        'id = "Demo Club"',
    ),
    (
        ('platform = "console"\nid = "demo"', 'platform = "discord"\nid = "demo"'),
        "communities[0].id",
        'a Discord server id is a number like "123456789012345678", got "demo"',
        'id = "demo"',
    ),
    (
        ('platform = "console"\nid = "demo"', 'platform = "discord"\nid = 123456789012345678'),
        "communities[0].id",
        'expected a string, got 123456789012345678 (write it in quotes: "123456789012345678")',
        "id = 1",
    ),
    (
        ('platform = "console"\nid = "demo"', 'platform = "slack"\nid = "acme"'),
        "communities[0].id",
        'a Slack workspace id looks like "T0123ABCD", got "acme"',
        'id = "acme"',
    ),
    (('name = "Demo"', 'name = ""'), "communities[0].name", "must not be empty", 'name = ""'),
    (('name = "Demo"\n', ""), "communities[0].name", "required key is missing", "[[communities]]"),
    (
        ('name = "Demo"', 'name = "Demo"\nlanguage = "de"'),
        "communities[0].language",
        "expected 'en' or 'fr', got \"de\"",
        "language",
    ),
    (
        ('name = "Demo"', 'name = "Demo"\ntimezone = "Mars/Olympus"'),
        "communities[0].timezone",
        'unknown timezone "Mars/Olympus"',
        "timezone",
    ),
    (
        ('name = "Demo"', 'name = "Demo"\ntimezone = "europe/paris"'),
        "communities[0].timezone",
        'unknown timezone "europe/paris" (did you mean "Europe/Paris"?)',
        "timezone",
    ),
    (
        ('name = "Demo"', 'name = "Demo"\nmoderator_roles = ["1", ""]'),
        "communities[0].moderator_roles[1]",
        "must not be empty",
        "moderator_roles",
    ),
    (
        ('moderators = "mods"', '"Mod Room" = "mods"'),
        'communities[0].channels."Mod Room"',
        'expected a slug (lowercase letters, digits, "-" or "_"), got "Mod Room"',
        "channels",
    ),
    (
        ('moderators = "mods"', "moderators = 42"),
        "communities[0].channels.moderators",
        'expected a string, got 42 (write it in quotes: "42")',
        "channels",
    ),
    (
        ("[[communities]]\n", "[communities]\n"),
        "communities",
        "expected an array, got a table (write [[communities]] above each entry)",
        "[communities]",
    ),
    (
        ('channels = { general = "general", moderators = "mods" }', "channels = []"),
        "communities[0].channels",
        "expected a table, got an array",
        "channels",
    ),
    # posts and rituals
    (
        (
            "[[communities.posts.schedules]]",
            "[communities.posts]\ndead_channel_after = -1\n\n[[communities.posts.schedules]]",
        ),
        "communities[0].posts.dead_channel_after",
        "must be at least 0, got -1",
        "dead_channel_after",
    ),
    (
        ('name = "weekly"', 'name = "Weekly Question"'),
        "communities[0].posts.schedules[0].name",
        'expected a slug (lowercase letters, digits, "-" or "_"), got "Weekly Question"',
        "Weekly",
    ),
    (
        ('pool = "discussion"', 'pool = "Discussion"'),
        "communities[0].posts.schedules[0].pool",
        'expected a slug (lowercase letters, digits, "-" or "_"), got "Discussion"',
        "pool",
    ),
    (
        ('cron = "0 9 * * 1"', 'cron = "0 9 * *"'),
        "communities[0].posts.schedules[0].cron",
        'invalid cron expression "0 9 * *": '
        "expected 5 fields (minute hour day-of-month month day-of-week), got 4",
        "cron",
    ),
    (
        ('cron = "0 9 * * 1"', 'cron = "0 25 * * 1"'),
        "communities[0].posts.schedules[0].cron",
        'invalid cron expression "0 25 * * 1": hour field "25": must be 0-23',
        "cron",
    ),
    (
        ('pool = "discussion"', 'pool = "discussion"\nthread = "yes"'),
        "communities[0].posts.schedules[0].thread",
        'expected true or false, got "yes"',
        "thread",
    ),
    (
        ('pool = "discussion"', 'pool = "discussion"\ngrace_minutes = -1'),
        "communities[0].posts.schedules[0].grace_minutes",
        "must be at least 0, got -1",
        "grace_minutes",
    ),
    (
        ('channel = "general"', 'channel = "genral"'),
        "communities[0].posts.schedules[0].channel",
        'channel "genral" is not a configured purpose (configured: general, moderators)'
        ' (did you mean "general"?)',
        "genral",
    ),
    (
        ('channels = { general = "general", moderators = "mods" }\n', ""),
        "communities[0].posts.schedules[0].channel",
        'channel "general" is not a configured purpose: the community has no channels'
        ' (add channels = { general = "<channel id>" })',
        'channel = "general"',
    ),
    (
        ('pool = "discussion"\n', ""),
        "communities[0].posts.schedules[0].pool",
        "required key is missing",
        "[[communities.posts.schedules]]",
    ),
]


@pytest.mark.parametrize(("change", "path", "message", "fragment"), RULES)
def test_each_rule_names_the_key_path_line_and_problem(
    change: str | tuple[str, str], path: str, message: str, fragment: str
) -> None:
    text = change + BASE if isinstance(change, str) else edit(*change)
    problem = only_problem(text)
    assert (problem.path, problem.message) == (path, message)
    assert problem.line == line_of(text, fragment)


def test_community_keys_are_unique() -> None:
    text = BASE + '\n[[communities]]\nplatform = "console"\nid = "demo"\nname = "Again"\n'
    problem = only_problem(text)
    assert (problem.path, problem.message) == (
        "communities[1].id",
        'duplicate community "console:demo" (already communities[0])',
    )
    assert problem.line == len(text.splitlines()) - 1


def test_the_same_id_on_two_platforms_is_two_communities() -> None:
    text = BASE + '\n[[communities]]\nplatform = "slack"\nid = "T0123ABCD"\nname = "Other"\n'
    keys = [c.key for c in parse_settings(text, Path("t.toml")).communities]
    assert keys == ["console:demo", "slack:T0123ABCD"]


def test_ritual_names_are_unique_within_a_community() -> None:
    second = (
        '\n[[communities.posts.schedules]]\nname = "weekly"\nchannel = "general"\n'
        'cron = "0 9 * * 5"\npool = "tips"\n'
    )
    text = BASE + second
    problem = only_problem(text)
    assert (problem.path, problem.message) == (
        "communities[0].posts.schedules[1].name",
        'duplicate ritual name "weekly" (already posts.schedules[0])',
    )
    assert problem.line == len(BASE.splitlines()) + 3
    other = (
        '\n[[communities]]\nplatform = "console"\nid = "other"\nname = "Other"\n'
        'channels = { general = "g" }\n'
    )
    assert parse_settings(BASE + other + second, Path("t.toml"))  # another community may reuse it


def test_at_least_one_community_is_required() -> None:
    problem = only_problem('log_level = "INFO"\n')
    assert (problem.line, problem.path, problem.message) == (
        None,
        "communities",
        "add at least one [[communities]] table",
    )
    assert str(problem) == "communities: add at least one [[communities]] table"
    problem = only_problem("communities = []\n")
    assert (problem.line, problem.path) == (1, "communities")


def test_a_failing_community_does_not_hide_the_others() -> None:
    bad_first = edit('name = "Demo"', "name = 3")
    text = bad_first + '\n[[communities]]\nplatform = "console"\nid = "demo"\nname = "Again"\n'
    assert [(p.path, p.message) for p in problems(text)] == [
        ("communities[0].name", 'expected a string, got 3 (write it in quotes: "3")'),
        ("communities[1].id", 'duplicate community "console:demo" (already communities[0])'),
    ]


def test_models_built_in_code_check_references_too() -> None:
    ritual = RitualConfig(name="weekly", channel="lobby", cron="0 9 * * 1", pool="discussion")
    with pytest.raises(pydantic.ValidationError, match="not a configured purpose"):
        CommunityConfig(
            platform="console", id="demo", name="Demo", posts=PostsConfig(schedules=(ritual,))
        )
    community = CommunityConfig(platform="console", id="demo", name="Demo")
    with pytest.raises(pydantic.ValidationError, match="duplicate community"):
        Settings(communities=(community, community))


# ------------------------------------------------------------------ unknown keys


@pytest.mark.parametrize(
    ("change", "path", "message", "fragment"),
    [
        (
            "datbase_url = 'x'\n",
            "datbase_url",
            "unknown key 'datbase_url' (did you mean 'database_url'?)",
            "datbase_url",
        ),
        (
            "[shceduler]\nworkers = 2\n",
            "shceduler",
            "unknown key 'shceduler' (did you mean 'scheduler'?)",
            "[shceduler]",
        ),
        ("[discord]\nintents = 2\n", "discord.intents", "unknown key 'intents'", "intents"),
        (
            "[discord]\nshards = 2\n",
            "discord.shards",
            "unknown key 'shards' (did you mean 'shard_ids'?)",
            "shards",
        ),
        ("color = 'red'\n", "color", "unknown key 'color'", "color"),
        (
            "config_path = 'elsewhere.toml'\n",
            "config_path",
            "unknown key 'config_path'",
            "config_path",
        ),
        (
            ('pool = "discussion"', 'pool = "discussion"\ncronn = "0 9 * * 1"'),
            "communities[0].posts.schedules[0].cronn",
            "unknown key 'cronn' (did you mean 'cron'?)",
            "cronn",
        ),
        (
            ('name = "Demo"', 'name = "Demo"\nposts.dead_channel = 2'),
            "communities[0].posts.dead_channel",
            "unknown key 'dead_channel' (did you mean 'dead_channel_after'?)",
            "dead_channel =",
        ),
        (
            ('name = "Demo"', 'name = "Demo"\ntimezon = "UTC"'),
            "communities[0].timezon",
            "unknown key 'timezon' (did you mean 'timezone'?)",
            "timezon",
        ),
    ],
)
def test_unknown_keys_are_errors_with_a_suggestion_when_one_is_close(
    change: str | tuple[str, str], path: str, message: str, fragment: str
) -> None:
    text = change + BASE if isinstance(change, str) else edit(*change)
    problem = only_problem(text)
    assert (problem.path, problem.message, problem.line) == (path, message, line_of(text, fragment))


# ------------------------------------------------------------------ line numbers


def test_lines_are_found_in_the_example_file(tmp_path: Path) -> None:
    example = (EXAMPLES / "terreau.toml").read_text(encoding="utf-8")
    broken = (
        example.replace('cron = "0 9 * * 1"', 'cron = "0 9 * * 8"')
        .replace("workers = 32", "workers = 0")
        .replace('member = "you"', 'member = ""')
        .replace("dead_channel_after = 3", "dead_channel_after = -3")
    )
    config = tmp_path / "terreau.toml"
    config.write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert [(p.line, p.path) for p in caught.value.problems] == [
        (line_of(broken, 'member = ""'), "console.member"),
        (line_of(broken, "workers = 0"), "scheduler.workers"),
        (line_of(broken, "dead_channel_after = -3"), "communities[0].posts.dead_channel_after"),
        (line_of(broken, 'cron = "0 9 * * 8"'), "communities[0].posts.schedules[0].cron"),
    ]


def test_lines_skip_strings_comments_and_count_tables_of_arrays() -> None:
    text = (
        "# [[communities]] in a comment is not a header\n"
        '[console] # name = "x"\n'
        'moderators = [\n  "you",\n  "bad name",\n]\n'
        "[[communities]]\n"
        'platform = "console"\n'
        'id = "one"\n'
        'name = """\n[[communities]]\nid = "fake"\n"""\n'
        "'channels' . general = 'g'\n"
        "[[communities.posts.schedules]]\n"
        'name = "c"\nchannel = "nowhere"\ncron = "0 9 * * 1"\npool = "p"\n'
        "[[communities]]\n"
        'platform = "console"\n'
        'id = "two"\n'
        "name = 'Two'\n"
        "[communities.posts]\n"
        "schedules = [\n"
        '  { name = "a", channel = "general", cron = "0 9 * * 1", pool = "p" },\n'
        '  { name = "b", channel = "general", cron = "0 9 * * X", pool = "p" },\n'
        "]\n"
    )
    assert [(p.line, p.path) for p in problems(text)] == [
        (5, "console.moderators[1]"),
        (17, "communities[0].posts.schedules[0].channel"),
        (26, "communities[1].posts.schedules[0].channel"),
        (27, "communities[1].posts.schedules[1].channel"),
        (27, "communities[1].posts.schedules[1].cron"),
    ]


def test_lines_see_through_escaped_quotes() -> None:
    text = (
        "[[communities]]\n"
        'platform = "console"\n'
        'id = "one"\n'
        'name = """Say \\""" and \\" then\n'
        "[[communities]]\n"
        '"""\n'
        'timezone = "Nowhere/Land"\n'
    )
    problem = only_problem(text)
    assert (problem.line, problem.path) == (7, "communities[0].timezone")


# ------------------------------------------------------------------ reading the file


def test_toml_syntax_errors_give_line_and_column() -> None:
    text = BASE.replace('cron = "0 9 * * 1"', "cron = 0 9 * * 1")
    problem = only_problem(text)
    assert (problem.line, problem.column, problem.path) == (line_of(text, "cron ="), 10, "")
    assert str(problem) == (
        f"line {problem.line}, column 10: TOML syntax error: "
        "expected newline or end of document after a statement"
    )


def test_toml_syntax_errors_at_the_end_of_the_file() -> None:
    problem = only_problem(BASE + 'pool = "again"')
    assert (problem.line, problem.column) == (len(BASE.splitlines()) + 1, None)
    assert problem.message == "TOML syntax error: cannot overwrite a value (at the end of the file)"


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "terreau.toml")
    assert str(caught.value) == (
        f"{tmp_path / 'terreau.toml'}: 1 problem\n"
        "  config file not found (start from a copy of examples/terreau.toml)"
    )


def test_a_directory_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory, not a file"):
        load_settings(tmp_path)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "terreau.toml"
    config.write_bytes(BASE.encode() + b"# caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    (problem,) = caught.value.problems
    assert (problem.line, problem.message) == (12, "the file is not UTF-8 text")


# ------------------------------------------------------------------ secrets


@pytest.mark.parametrize(
    ("change", "path", "env_var"),
    [
        (f'[discord]\ntoken = "{DISCORD_TOKEN}"\n', "discord.token", "DISCORD_TOKEN"),
        ('[slack]\nbot_token = "xoxb-1-2-abc"\n', "slack.bot_token", "SLACK_BOT_TOKEN"),
        ('[slack]\napp_token = "xapp-1-A-2-abc"\n', "slack.app_token", "SLACK_APP_TOKEN"),
        (
            '[slack]\nsigning_secret = "8f742231b10e8888abcd99yyyzzz85a5"\n',
            "slack.signing_secret",
            "SLACK_SIGNING_SECRET",
        ),
        ('database_password = "hunter2"\n', "database_password", "TERREAU_DATABASE_PASSWORD"),
    ],
)
def test_secret_keys_in_the_file_are_refused_with_their_env_var(
    change: str, path: str, env_var: str
) -> None:
    text = change + BASE
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, Path("t.toml"))
    (problem,) = caught.value.problems
    key = path.rsplit(".", 1)[-1]
    assert problem.path == path
    assert problem.line == line_of(text, f"{key} =")
    assert problem.message == (
        f"remove '{key}': secrets are never read from the config file; "
        f"set the {env_var} environment variable"
    )
    assert change.split('"')[1] not in str(caught.value)


def test_an_unknown_secret_key_lists_every_env_var() -> None:
    problem = only_problem('api_key = "abc"\n' + BASE)
    assert problem.message == (
        "remove 'api_key': secrets are never read from the config file; set them in the "
        "environment (DISCORD_TOKEN, SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_SIGNING_SECRET, "
        "MATRIX_ACCESS_TOKEN or TERREAU_DATABASE_PASSWORD)"
    )


@pytest.mark.parametrize(
    ("value", "env_var"),
    [
        (DISCORD_TOKEN, "DISCORD_TOKEN"),
        ("xoxb-2-3-abcDEF", "SLACK_BOT_TOKEN"),
        ("xoxp-2-3-abcDEF", "SLACK_BOT_TOKEN"),
        ("xapp-1-A2-3-abcdef", "SLACK_APP_TOKEN"),
    ],
)
def test_a_token_pasted_as_a_value_is_refused(value: str, env_var: str) -> None:
    text = edit('name = "Demo"', f'name = "{value}"')
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, Path("t.toml"))
    (problem,) = caught.value.problems
    assert (problem.path, problem.line) == ("communities[0].name", line_of(text, value))
    assert problem.message == (
        "this looks like a token: secrets are never read from the config file; "
        f"set the {env_var} environment variable"
    )
    assert value not in str(caught.value)


def test_a_password_in_the_database_url_is_refused() -> None:
    text = 'database_url = "postgresql+asyncpg://terreau:hunter2@db/terreau"\n' + BASE
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, Path("t.toml"))
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (1, "database_url")
    assert problem.message == (
        "remove the password from database_url: secrets are never read from the config file; "
        "set the TERREAU_DATABASE_PASSWORD environment variable"
    )
    assert "hunter2" not in str(caught.value)
    assert parse_settings(text.replace(":hunter2", ""), Path("t.toml"))


def test_secrets_are_read_from_the_environment() -> None:
    secrets = Secrets.from_env(
        {
            "DISCORD_TOKEN": "d-token",
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_APP_TOKEN": "xapp-1",
            "SLACK_SIGNING_SECRET": "signing",
            "TERREAU_DATABASE_PASSWORD": "p@ss/word",
            "HOME": "/root",
        }
    )
    assert secrets == Secrets(
        discord_token="d-token",
        slack_bot_token="xoxb-1",
        slack_app_token="xapp-1",
        slack_signing_secret="signing",
        database_password="p@ss/word",
    )
    assert set(secrets.values()) == {"d-token", "xoxb-1", "xapp-1", "signing", "p@ss/word"}
    assert "d-token" not in repr(secrets)
    assert repr(secrets).startswith("Secrets(discord_token=set, ")


def test_empty_env_vars_are_unset() -> None:
    secrets = Secrets.from_env({"DISCORD_TOKEN": "", "SLACK_BOT_TOKEN": "  "})
    assert secrets == Secrets()
    assert secrets.values() == ()


def test_the_database_password_goes_into_the_url() -> None:
    url = "postgresql+asyncpg://terreau@db:5432/terreau"
    assert Secrets().database_url(url) == url
    with_password = Secrets(database_password="p@ss/word").database_url(url)
    assert make_url(with_password).password == "p@ss/word"
    assert make_url(with_password).host == "db"
    sqlite = "sqlite+aiosqlite:///terreau.db"
    assert Secrets(database_password="unused").database_url(sqlite) == sqlite


def test_settings_hold_no_secrets() -> None:
    assert not any("token" in name or "secret" in name for name in Settings.model_fields)


def test_platform_communities_need_their_secrets() -> None:
    text = (
        '[slack]\nmode = "http"\n'
        + BASE
        + '\n[[communities]]\nplatform = "discord"\nid = "123456789012345678"\nname = "D"\n'
        + '\n[[communities]]\nplatform = "slack"\nid = "T0123ABCD"\nname = "S"\n'
    )
    settings = parse_settings(text, Path("t.toml"))
    with pytest.raises(ConfigError) as caught:
        check_secrets(settings, Secrets(slack_app_token="xapp-unused"))
    assert [(p.path, p.message) for p in caught.value.problems] == [
        (
            "communities[1].platform",
            "set the DISCORD_TOKEN environment variable: discord:123456789012345678 is on discord",
        ),
        (
            "communities[2].platform",
            "set the SLACK_BOT_TOKEN environment variable: slack:T0123ABCD is on slack",
        ),
        (
            "communities[2].platform",
            "set the SLACK_SIGNING_SECRET environment variable: slack:T0123ABCD is on slack"
            " in slack.mode = 'http'",
        ),
    ]
    check_secrets(
        settings, Secrets(discord_token="d", slack_bot_token="b", slack_signing_secret="s")
    )


def test_socket_mode_needs_the_app_token() -> None:
    text = BASE.replace('platform = "console"\nid = "demo"', 'platform = "slack"\nid = "T0123ABCD"')
    settings = parse_settings(text, Path("t.toml"))
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        check_secrets(settings, Secrets(slack_bot_token="b", slack_signing_secret="s"))
    check_secrets(parse_settings(BASE, Path("t.toml")), Secrets())
