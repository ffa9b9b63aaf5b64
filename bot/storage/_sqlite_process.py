"""The interaction writer's SQLite connection, in a process of its own.

On a SQLite file the writer's batches run in a child process (`_sqlite_child`,
standard library only) that holds one `sqlite3` connection, fed over a pipe by the
event loop: a batch is two exchanges (begin and insert the rows; then rollups, members
and commit), each a message or a few out and as many answers back. SQLite's work, and
the interpreter lock `sqlite3` takes between statements, stay out of the event loop's
process. A connection on a thread of the same process (how the writer ran before)
handed that lock to and fro about forty times a batch, each hand-over stopping the
event loop for tens of microseconds: Terreau's Discord rate went from 0.78-0.82 of bare
discord.py's with the thread to 0.85-0.89 with the process (`bench_discord.py`).

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
_VALUES_PER_MESSAGE = 12_000
"""One insert of 1,000 log rows."""
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
                    results = (await child.exchange([_BEGIN, *requests], started))[1:]
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
        if child.awaited or not child.alive():
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
        self.awaited = 0
        """Messages sent whose answers are not yet read."""

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
            child.awaited = 1  # it answers first with the connection it opened
            opened = await child._receive([("run", "connect", ())])
            if isinstance(opened, BaseException):
                raise opened
        except BaseException:
            await child.close()
            raise
        return child

    def alive(self) -> bool:
        return self._process.returncode is None

    async def exchange(
        self, requests: list[Request], sent: Callable[[], None] | None = None
    ) -> list[Any]:
        """Send statements and return their results; raise the first error as SQLAlchemy would.

        The statements go in messages of up to `_VALUES_PER_MESSAGE` values, all sent
        before any answer is read, so the child holds one message's values at a time
        (a batch of 4,000 rows in one message took its memory from 12 to 25-32 MiB) and
        goes from one to the next without waiting. After a failed statement the child
        skips what follows until the rollback. `sent` is called once all are sent.
        """
        messages = _messages(requests)
        for message in messages:
            await self._send(message)
        if sent is not None:
            sent()
        results: list[Any] = []
        failure: BaseException | None = None
        for message in messages:
            answer = await self._receive(message)
            if isinstance(answer, BaseException):
                failure = failure or answer
            else:
                results.extend(answer)
        if failure is not None:
            raise failure
        return results

    async def _send(self, requests: list[Request]) -> None:
        try:
            payload = marshal.dumps(requests)
        except ValueError:
            plain = [(op, sql, _plain(sql, values)) for op, sql, values in requests]
            payload = marshal.dumps(plain)
        self.awaited += 1
        try:
            self._to.write(_LENGTH.pack(len(payload)) + payload)
            await self._to.drain()
        except (ConnectionError, BrokenPipeError) as exc:
            raise await self._gone(requests[0][1]) from exc

    async def _receive(self, requests: list[Request]) -> list[Any] | BaseException:
        """Return the results of `requests`, or the error of the first that failed."""
        try:
            header = await self._from.readexactly(_LENGTH.size)
            body = await self._from.readexactly(_LENGTH.unpack(header)[0])
        except asyncio.IncompleteReadError as exc:
            raise await self._gone(requests[0][1]) from exc
        self.awaited -= 1
        answer = marshal.loads(body)  # noqa: S302 (written by the child this process started)
        if answer[0] == "ok":
            results: list[Any] = answer[1]
            return results
        _, index, name, message, code = answer
        error = _driver_error(name, message, code)
        if isinstance(error, UnicodeError):
            return error  # as `sqlite3` raises it: text no driver can encode
        failure = as_sqlalchemy_error(error, requests[index][1])
        failure.__cause__ = error
        return failure

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


def _messages(requests: list[Request]) -> list[list[Request]]:
    """Split statements into messages of up to `_VALUES_PER_MESSAGE` values (or one statement)."""
    messages: list[list[Request]] = [[]]
    values = 0
    for request in requests:
        if messages[-1] and values + len(request[2]) > _VALUES_PER_MESSAGE:
            messages.append([])
            values = 0
        messages[-1].append(request)
        values += len(request[2])
    return messages


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
