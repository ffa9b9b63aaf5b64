from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from bot.logs import RedactionFilter, configure_logging, log_context

pytestmark = pytest.mark.ops

SECRET = "s3cr3t-value"
DISCORD_TOKEN = "MTAxMjM0NTY3ODkwMTIzNDU2Nzg5.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (?P<level>[A-Z]+) +(?P<logger>\S+): (?P<message>.*)$"
)


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    """Give tests the root logger and put its handlers, filters and level back afterwards."""
    logger = logging.getLogger()
    handlers = list(logger.handlers)
    filters = {handler: list(handler.filters) for handler in handlers}
    level = logger.level
    yield logger
    for handler in list(logger.handlers):
        if handler not in handlers:
            logger.removeHandler(handler)
    for handler, kept in filters.items():
        handler.filters[:] = kept
    logger.setLevel(level)


def messages(output: str) -> list[str]:
    found = [LINE.match(line) for line in output.splitlines()]
    assert all(found), output
    return [match.group("message") for match in found if match]


def record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("test", logging.INFO, __file__, 1, msg, args, None)


def test_each_record_is_one_readable_line(root: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("INFO", [], stream=out)
    logging.getLogger("bot.example").info("posted %s to %s", "question", "general")
    (line,) = out.getvalue().splitlines()
    match = LINE.match(line)
    assert match is not None, line
    assert match.group("level", "logger", "message") == (
        "INFO",
        "bot.example",
        "posted question to general",
    )


def test_the_level_is_applied(root: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("warning", [], stream=out)
    logging.getLogger("bot.example").info("hidden")
    logging.getLogger("bot.example").warning("shown")
    assert messages(out.getvalue()) == ["shown"]


def test_an_unknown_level_is_refused(root: logging.Logger) -> None:
    with pytest.raises(ValueError, match="unknown log level 'LOUD'"):
        configure_logging("LOUD", [])


def test_configuring_again_replaces_the_handler(root: logging.Logger) -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", [], stream=first)
    configure_logging("INFO", [SECRET], stream=second)
    logging.getLogger("bot.example").info("once %s", SECRET)
    assert first.getvalue() == ""
    assert second.getvalue().count("once") == 1
    assert SECRET not in second.getvalue()


def test_secrets_in_the_message_and_the_args_are_redacted(root: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("DEBUG", [SECRET, "hunter2"], stream=out)
    log = logging.getLogger("bot.example")
    log.info(f"connecting with {SECRET}")
    log.info("password is %s, url %r", "hunter2", f"postgresql://u:{SECRET}@db/x")
    log.info("as mapping %(token)s", {"token": SECRET})
    text = out.getvalue()
    assert SECRET not in text and "hunter2" not in text
    assert messages(text) == [
        "connecting with ***",
        "password is ***, url 'postgresql://u:***@db/x'",
        "as mapping ***",
    ]


def test_third_party_loggers_are_redacted_too(root: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("INFO", [SECRET], stream=out)
    logging.getLogger("discord.gateway").info("identify %s", SECRET)
    logging.getLogger("slack_bolt.App").warning("auth with %s failed", "xoxb-1-2-abc")
    text = out.getvalue()
    assert "discord.gateway: identify ***" in text
    assert "slack_bolt.App: auth with *** failed" in text


def test_handlers_already_on_the_root_logger_are_covered(root: logging.Logger) -> None:
    other = io.StringIO()
    root.addHandler(logging.StreamHandler(other))
    configure_logging("INFO", [SECRET], stream=io.StringIO())
    logging.getLogger("somelib").info("key=%s", SECRET)
    assert other.getvalue() == "key=***\n"


@pytest.mark.parametrize(
    "token",
    [
        "xoxb-1234-5678-AbCdEf",
        "xoxp-1234-5678-9012-abcdef",
        "xapp-1-A0123-4567-abcdef0123",
        DISCORD_TOKEN,
    ],
)
def test_token_shaped_values_are_redacted_even_when_unknown(token: str) -> None:
    redaction = RedactionFilter([])
    entry = record("token=%s; next", token)
    assert redaction.filter(entry) is True
    assert entry.getMessage() == "token=***; next"


def test_the_record_keeps_no_secret_in_its_args() -> None:
    entry = record("with %s and %d", SECRET, 3)
    RedactionFilter([SECRET]).filter(entry)
    assert entry.getMessage() == "with *** and 3"
    assert SECRET not in repr(entry.args)
    assert SECRET not in str(entry.msg)


def test_longer_secrets_win_over_their_prefixes() -> None:
    entry = record("abc and abcdef")
    RedactionFilter(["abc", "abcdef", ""]).filter(entry)
    assert entry.getMessage() == "*** and ***"


def test_plain_text_is_left_alone() -> None:
    text = "posted to https://discord.com/api/v10 at 09:00 for console:demo"
    entry = record(text)
    RedactionFilter([SECRET]).filter(entry)
    assert entry.getMessage() == text


def test_tracebacks_are_redacted(root: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("INFO", [SECRET], stream=out)
    try:
        raise RuntimeError(f"login failed for {SECRET}")
    except RuntimeError:
        logging.getLogger("bot.example").exception("cannot connect")
    text = out.getvalue()
    assert "RuntimeError: login failed for ***" in text
    assert SECRET not in text


def test_a_record_with_bad_arguments_still_loses_its_secrets() -> None:
    entry = record("only one %s", SECRET, "extra")
    assert RedactionFilter([SECRET]).filter(entry) is True
    assert entry.args == ("***", "extra")
    assert SECRET not in str(entry.msg)


def test_json_lines_carry_the_community_and_the_job(root: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("INFO", [SECRET], stream=out, log_format="json")
    log = logging.getLogger("bot.example")

    log.info("outside any context")
    with log_context(community="discord:1187654321098765432"):
        log.info("an event with %s", SECRET)
        with log_context(job="posts:discord:1187654321098765432:question"):
            log.warning("a run")
    log.info("named here", extra={"community": "slack:T0ACME"})

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["message"] for line in lines] == [
        "outside any context",
        "an event with ***",
        "a run",
        "named here",
    ]
    assert [line.get("community") for line in lines] == [
        None,
        "discord:1187654321098765432",
        "discord:1187654321098765432",
        "slack:T0ACME",
    ]
    assert [line.get("job") for line in lines] == [
        None,
        None,
        "posts:discord:1187654321098765432:question",
        None,
    ]
    assert lines[2]["level"] == "WARNING" and lines[2]["logger"] == "bot.example"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", lines[0]["time"])


def test_a_json_line_holds_the_traceback_redacted(root: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("INFO", [SECRET], stream=out, log_format="json")

    try:
        raise RuntimeError(f"failed with {SECRET}")
    except RuntimeError:
        logging.getLogger("bot.example").exception("job failed")

    (line,) = out.getvalue().splitlines()
    data = json.loads(line)
    assert "RuntimeError: failed with ***" in data["exception"]
    assert SECRET not in line


def test_an_unknown_log_format_is_refused(root: logging.Logger) -> None:
    with pytest.raises(ValueError, match="unknown log format 'xml'"):
        configure_logging("INFO", [], log_format="xml")
