"""Where console lines come from: stdin, a script file, or any text stream."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


class Readable(Protocol):
    """A text stream read line by line (`sys.stdin`, an open file, `io.StringIO`)."""

    def readline(self) -> str:
        """Return the next line, or an empty string at the end."""
        ...


LineSource = AsyncIterable[str] | Readable
"""What the console adapter reads: async lines, or a text stream."""


async def lines_from_stdin() -> AsyncIterator[str]:
    """Yield lines typed on (or piped into) stdin without blocking the event loop."""
    async for line in lines_from_stream(sys.stdin):
        yield line


def lines_from_file(path: str | os.PathLike[str]) -> AsyncIterator[str]:
    """Return the lines of a script file; a missing or unreadable file fails here."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise OSError(f"cannot read console script {os.fspath(path)!r}: {error}") from error
    return _iterate([line.removesuffix("\r") for line in text.split("\n")])


async def lines_from_stream(stream: Readable) -> AsyncIterator[str]:
    """Yield the lines of a blocking text stream, read in a daemon thread.

    A daemon thread, not the loop's executor: a thread blocked on a terminal
    must not keep the process alive after the console stops.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | BaseException | None] = asyncio.Queue()

    def deliver(item: str | BaseException | None) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:
            log.debug("console input arrived after the event loop closed; dropped")

    def pump() -> None:
        try:
            while line := stream.readline():
                deliver(line)
        except (OSError, ValueError) as error:
            deliver(error)
        finally:
            deliver(None)

    threading.Thread(target=pump, name="terreau-console-input", daemon=True).start()
    while True:
        item = await queue.get()
        if item is None:
            return
        if isinstance(item, BaseException):
            raise OSError(f"reading console input failed: {item}") from item
        yield item.removesuffix("\n").removesuffix("\r")


def as_async_lines(source: LineSource) -> AsyncIterator[str]:
    """Return `source` as an async iterator of lines."""
    if isinstance(source, AsyncIterable):
        return aiter(source)
    return lines_from_stream(source)


async def _iterate(lines: list[str]) -> AsyncIterator[str]:
    for line in lines:
        yield line
