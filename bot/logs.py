"""Logging for operators: one readable line per record, with secrets replaced by `***`."""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Iterable
from typing import TextIO

from bot._secret_patterns import TOKEN

log = logging.getLogger(__name__)

MASK = "***"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


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


def configure_logging(level: str, secrets: Iterable[str], *, stream: TextIO | None = None) -> None:
    """Send log records to stderr (or `stream`) as single readable lines, secrets redacted."""
    name = level.upper()
    if name not in LEVELS:
        raise ValueError(f"unknown log level {level!r} (use {', '.join(LEVELS)})")
    formatter = logging.Formatter(FORMAT, datefmt="%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler = _TerreauHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(formatter)
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
