"""The console adapter: a terminal chat, the embedded default and demo backend."""

from __future__ import annotations

from adapters.console._lines import LineSource, lines_from_file, lines_from_stdin, lines_from_stream
from adapters.console.adapter import ConsoleAdapter
from adapters.console.translate import HELP

__all__ = [
    "HELP",
    "ConsoleAdapter",
    "LineSource",
    "lines_from_file",
    "lines_from_stdin",
    "lines_from_stream",
]
