"""Logging for operators: one readable line per record, with secrets replaced by `***`.

With `log_format = "json"`, each record is one JSON object per line instead, with the
community and the scheduled job it concerns when there is one (`log_context`), so a
log collector can filter by community without parsing sentences.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import TextIO

from bot._secret_patterns import TOKEN

log = logging.getLogger(__name__)

MASK = "***"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
LOG_FORMATS = ("text", "json")
CONTEXT_FIELDS = ("community", "job")

_community: ContextVar[str | None] = ContextVar("terreau_log_community", default=None)
_job: ContextVar[str | None] = ContextVar("terreau_log_job", default=None)


def log_context(*, community: str | None = None, job: str | None = None) -> LogContext:
    """Tag the records logged inside (in this task and those it starts) with these fields."""
    return LogContext(community, job)


def tag_community(community: str) -> Token[str | None]:
    """Tag the records logged from now on with `community`, until `untag_community(token)`.

    What `log_context(community=...)` does, without its object: the app's sink
    tags every event it handles this way.
    """
    return _community.set(community)


def untag_community(token: Token[str | None]) -> None:
    """End the tag `tag_community` returned `token` for."""
    _community.reset(token)


class LogContext:
    """The context manager of `log_context`: a class, as it wraps every event handled."""

    __slots__ = ("_community", "_job", "_tokens")

    def __init__(self, community: str | None, job: str | None) -> None:
        self._community = community
        self._job = job
        self._tokens: list[tuple[ContextVar[str | None], Token[str | None]]] = []

    def __enter__(self) -> None:
        if self._community is not None:
            self._tokens.append((_community, _community.set(self._community)))
        if self._job is not None:
            self._tokens.append((_job, _job.set(self._job)))

    def __exit__(self, *_: object) -> None:
        for var, token in reversed(self._tokens):
            var.reset(token)
        self._tokens.clear()


class ContextFilter(logging.Filter):
    """Copy the community and job of `log_context` onto each record (unless `extra` set them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the fields; never drop the record."""
        for name, var in (("community", _community), ("job", _job)):
            if getattr(record, name, None) is None:
                setattr(record, name, var.get())
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, community, job, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON."""
        moment = datetime.fromtimestamp(record.created, UTC)
        data: dict[str, object] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                data[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exception"] = record.exc_text
        if record.stack_info:
            data["stack"] = record.stack_info
        return json.dumps(data, ensure_ascii=False, default=str)


class RedactionFilter(logging.Filter):
    """Replace secret values, and anything shaped like a Discord or Slack token, with `***`.

    Installed on handlers (not loggers) so it also sees records that third-party
    libraries log through the root logger's handlers.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        values = sorted({s for s in secrets if s}, key=len, reverse=True)
        alternatives = [re.escape(value) for value in values] + [TOKEN.pattern]
        self._pattern = re.compile("|".join(alternatives))

    def redact(self, text: str) -> str:
        """Return `text` with every secret replaced by `***`."""
        return self._pattern.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record's message, arguments, traceback and stack; never drop it."""
        try:
            message = record.getMessage()
        except Exception:  # logging reports the bad format itself, after this filter
            record.msg = self.redact(str(record.msg))
            if isinstance(record.args, tuple):
                record.args = tuple(self.redact(str(arg)) for arg in record.args)
            return True
        record.msg = self.redact(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class _TerreauHandler(logging.StreamHandler[TextIO]):
    """The handler `configure_logging` installs, so a second call replaces it."""


def configure_logging(
    level: str,
    secrets: Iterable[str],
    *,
    stream: TextIO | None = None,
    log_format: str = "text",
) -> None:
    """Send log records to stderr (or `stream`), one line each (text or JSON), secrets redacted."""
    name = level.upper()
    if name not in LEVELS:
        raise ValueError(f"unknown log level {level!r} (use {', '.join(LEVELS)})")
    if log_format not in LOG_FORMATS:
        raise ValueError(f"unknown log format {log_format!r} (use {', '.join(LOG_FORMATS)})")
    formatter: logging.Formatter
    if log_format == "json":
        formatter = JsonFormatter()
    else:
        formatter = logging.Formatter(FORMAT, datefmt="%Y-%m-%dT%H:%M:%SZ")
        formatter.converter = time.gmtime
    handler = _TerreauHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _TerreauHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    redaction = RedactionFilter(secrets)
    for each in root.handlers:
        for old_filter in [f for f in each.filters if isinstance(f, RedactionFilter)]:
            each.removeFilter(old_filter)
        each.addFilter(redaction)
    root.setLevel(name)


def close_log_file() -> None:
    """Stop logging to a file `configure_logging` was given, and close that file."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _TerreauHandler)]:
        stream = handler.stream
        if stream in (sys.stderr, sys.stdout):
            continue
        root.removeHandler(handler)
        handler.close()
        stream.close()
