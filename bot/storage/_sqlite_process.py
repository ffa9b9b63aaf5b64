"""The interaction writer's SQLite connection, in a process of its own.

On a SQLite file the writer's batches run in a child process (`_sqlite_child`,
standard library only) that holds one `sqlite3` connection, fed over a pipe by the
event loop: a batch is three exchanges (begin and insert, rollups and members,
commit), each one message out and one back. SQLite's work and the interpreter lock it
needs between statements stay out of the event loop's process. A connection on a
thread of the same process (how the writer ran before) handed that lock to and fro
about forty times a batch, and each hand-over stopped the event loop: 0.79 of bare
discord.py's rate with the thread, 0.86 with the process (`bench_discord.py`).

The child ignores the signals a terminal or a service manager sends the whole process
group and exits when its pipe closes, so a parent that is stopping still writes its
last batch, and a parent that dies takes the child with it. A child that exits, or an
exchange cut short (cancelled), fails that batch as a database error, which the writer
retries; the next batch starts a new child, and SQLite rolls back whatever the old one
left uncommitted.
"""

from __future__ import annotations

import asyncio
import logging
import marshal
import sqlite3
import struct
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError

from bot.storage._driver import as_sqlalchemy_error
from bot.storage._sqlite_batch import COMMIT, Request, Steps, Written

log = logging.getLogger(__name__)

_LENGTH = struct.Struct("<I")
_CHILD = Path(__file__).with_name("_sqlite_child.py")
_PLAIN = (int, float, str, bytes, type(None))
_BEGIN: Request = ("run", "BEGIN IMMEDIATE", ())
_ROLLBACK: Request = ("rollback", "ROLLBACK", ())
_EXIT_WAIT = 10.0
"""Seconds a child is given to finish and exit once its pipe is closed, before it is killed."""


class SqliteProcess:
    """Runs `store`'s statements in the writer's SQLite process, one transaction a batch."""

    def __init__(self, path: str, *, busy_timeout: float) -> None:
        self._path = path
        self._busy_timeout = busy_timeout
        self._child: _Child | None = None

    async def run(self, steps: Steps, started: Callable[[], None]) -> Written:
        """Run every statement of `steps` in one `BEGIN IMMEDIATE` transaction, and commit.

        `started` is called once the first statements are on their way to SQLite.
        """
        child = await self._open()
        results: list[Any] | None = None
        opening = True
        committed = False
        try:
            while True:
                try:
                    requests = steps.send(results)  # type: ignore[arg-type]
                except StopIteration as done:
                    if not committed:
                        raise RuntimeError("a batch's statements ended without COMMIT") from None
                    written: Written = done.value
                    return written
                committed = requests[-1:] == [COMMIT]
                if opening:
                    await child.send([_BEGIN, *requests])
                    started()
                    results = (await child.receive([_BEGIN, *requests]))[1:]
                    opening = False
                else:
                    results = await child.exchange(requests)
        except BaseException:
            await self._abandon(child)
            raise

    async def _abandon(self, child: _Child) -> None:
        """Roll back the batch's transaction; discard a child that cannot be trusted with it.

        A child still waiting to answer (the exchange was cut short: cancelled, or the
        child gone) could answer the next batch with this one's results.
        """
        if child.answering or not child.alive():
            await self._discard()
            return
        try:
            await child.exchange([_ROLLBACK])
        except BaseException:
            await self._discard()
            raise

    async def close(self) -> None:
        """End the child process: it closes its connection and exits."""
        await self._discard()

    async def open(self) -> None:
        """Start the child process now rather than on the first batch (which it would delay)."""
        await self._open()

    async def _open(self) -> _Child:
        if self._child is not None and not self._child.alive():
            await self._discard()
        if self._child is None:
            self._child = await _Child.start(self._path, self._busy_timeout)
        return self._child

    async def _discard(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            await child.close()


class _Child:
    """The child process and the pipes to it (see `_sqlite_child` for the messages)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdin is not None and process.stdout is not None
        self._process = process
        self._to = process.stdin
        self._from = process.stdout
        self.answering = False
        """A request was sent and its answer not yet read."""

    @classmethod
    async def start(cls, path: str, busy_timeout: float) -> _Child:
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-I",
                "-S",
                str(_CHILD),
                path,
                repr(busy_timeout),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            error = sqlite3.OperationalError(f"cannot start the SQLite writer process: {exc}")
            raise as_sqlalchemy_error(error, "connect") from exc
        child = cls(process)
        try:
            await child.receive([("run", "connect", ())])
        except BaseException:
            await child.close()
            raise
        return child

    def alive(self) -> bool:
        return self._process.returncode is None

    async def exchange(self, requests: list[Request]) -> list[Any]:
        """Send statements and return their results (see `receive`)."""
        await self.send(requests)
        return await self.receive(requests)

    async def send(self, requests: list[Request]) -> None:
        try:
            payload = marshal.dumps(requests)
        except ValueError:
            plain = [(op, sql, _plain(sql, values)) for op, sql, values in requests]
            payload = marshal.dumps(plain)
        self.answering = True
        try:
            self._to.write(_LENGTH.pack(len(payload)) + payload)
            await self._to.drain()
        except (ConnectionError, BrokenPipeError) as exc:
            raise await self._gone(requests[0][1]) from exc

    async def receive(self, requests: list[Request]) -> list[Any]:
        """Return the results of `requests`; raise the first one's error as SQLAlchemy would."""
        try:
            header = await self._from.readexactly(_LENGTH.size)
            body = await self._from.readexactly(_LENGTH.unpack(header)[0])
        except asyncio.IncompleteReadError as exc:
            raise await self._gone(requests[0][1]) from exc
        self.answering = False
        answer = marshal.loads(body)  # noqa: S302 (written by the child this process started)
        if answer[0] == "ok":
            results: list[Any] = answer[1]
            return results
        _, index, name, message, code = answer
        error = _driver_error(name, message, code)
        if isinstance(error, UnicodeError):
            raise error  # as `sqlite3` raises it: text no driver can encode
        raise as_sqlalchemy_error(error, requests[index][1]) from error

    async def _gone(self, sql: str) -> DBAPIError:
        try:
            status = await asyncio.wait_for(self._process.wait(), timeout=1.0)
        except TimeoutError:
            status = None
        error = sqlite3.OperationalError(f"the SQLite writer process exited (status {status})")
        return as_sqlalchemy_error(error, sql)

    async def close(self) -> None:
        """Close its input: it rolls back what is open, closes its connection and exits."""
        if not self._to.is_closing():
            self._to.close()
        try:
            await asyncio.wait_for(self._process.wait(), timeout=_EXIT_WAIT)
        except TimeoutError:
            log.error("the SQLite writer process did not exit in %.0f s; killing it", _EXIT_WAIT)
            self._process.kill()
            await self._process.wait()


def _driver_error(name: str, message: str, code: int | None) -> Exception:
    """Return the child's error as the `sqlite3` (or Unicode) error it was."""
    if name in {"UnicodeEncodeError", "UnicodeDecodeError", "UnicodeError"}:
        return UnicodeError(message)
    if name in {"ValueError", "TypeError", "OverflowError"}:
        # A value `sqlite3` could not bind (an integer out of SQLite's range).
        return sqlite3.InterfaceError(f"Error binding a parameter: {name}: {message}")
    kind = getattr(sqlite3, name, None)
    if not (isinstance(kind, type) and issubclass(kind, sqlite3.Error)):
        kind = sqlite3.Error
    error = kind(message)
    if code is not None:
        error.sqlite_errorcode = code
    return error


def _plain(sql: str, values: Sequence[Any]) -> list[Any]:
    """Return values as the exact types `marshal` takes; raise as binding would for others."""
    plain: list[Any] = []
    for number, value in enumerate(values, start=1):
        if type(value) in _PLAIN:
            plain.append(value)
        elif isinstance(value, int):
            plain.append(int(value))
        elif isinstance(value, float):
            plain.append(float(value))
        elif isinstance(value, str):
            plain.append(str(value))
        elif isinstance(value, bytes | bytearray | memoryview):
            plain.append(bytes(value))
        else:
            kind = type(value).__name__
            message = f"Error binding parameter {number}: type {kind!r} is not supported"
            raise as_sqlalchemy_error(sqlite3.ProgrammingError(message), sql)
    return plain
