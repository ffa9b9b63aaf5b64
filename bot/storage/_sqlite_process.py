"""The interaction writer's SQLite connection, in a process of its own.

On a SQLite file the writer's batches run in a child process (`_sqlite_child`,
standard library only) that holds one `sqlite3` connection. One thread of this process
talks to it over two pipes: a batch is two exchanges (begin and insert the rows; then
rollups, members and commit), each a few messages out and as many answers back. While
the child works, the thread waits in a read without the GIL, so a batch needs the GIL a
few times and the event loop once, at its end.

A `sqlite3` connection on a thread of this process (how the writer ran before) took
the GIL back after every step, bind and reset of its statements, about forty times a
batch, and each time stopped the event loop: Terreau's Discord rate went from 0.78-0.82
of bare discord.py's with it to 0.92 with the process (`bench_discord.py`, same machine,
alternated; bench/README.md).

The child ignores the signals a terminal or a service manager sends the whole process
group and exits when its pipe closes, so a parent that is stopping still writes its
last batch, and a parent that dies takes the child with it. A child found dead is
replaced before the next batch; one that dies during a batch fails that batch as a
database error, which the writer retries, and SQLite rolls back what it left
uncommitted.
"""

from __future__ import annotations

import asyncio
import logging
import marshal
import os
import sqlite3
import struct
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
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

SWITCH_INTERVAL = 0.001
"""How long (s) the interpreter lets a thread run before handing the GIL to one waiting.

The thread that talks to the child needs the GIL for a moment between its reads and
writes; Python's default of 5 ms made it wait that long for a busy event loop each
time. Set for the whole process once such a writer exists; never raised.
"""


class SqliteProcess:
    """Runs `store`'s statements in the writer's SQLite process, one transaction a batch.

    The pipes are read and written by one thread of this process, which sleeps without
    the GIL while the child works: a batch needs the GIL a few times and the event loop
    not at all until it is done, however busy the loop is.
    """

    def __init__(self, path: str, *, busy_timeout: float) -> None:
        self._path = path
        self._busy_timeout = busy_timeout
        self._child: _Child | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="terreau-log")
        if sys.getswitchinterval() > SWITCH_INTERVAL:
            sys.setswitchinterval(SWITCH_INTERVAL)

    async def run(self, steps: Steps, started: Callable[[], None]) -> Written:
        """Run every statement of `steps` in one `BEGIN IMMEDIATE` transaction, and commit.

        `started` is called (on the event loop) once the first statements are on their
        way to SQLite.
        """
        loop = asyncio.get_running_loop()

        def sent() -> None:
            loop.call_soon_threadsafe(started)

        return await loop.run_in_executor(self._executor, self._run, steps, sent)

    async def open(self) -> None:
        """Start the child process now rather than on the first batch (which it would delay)."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._open)

    async def close(self) -> None:
        """End the child process: it closes its connection and exits."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._discard)
        self._executor.shutdown(wait=False)

    def _run(self, steps: Steps, sent: Callable[[], None]) -> Written:
        child = self._open()
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
                    results = child.exchange([_BEGIN, *requests], sent)[1:]
                    opening = False
                else:
                    results = child.exchange(requests)
        except BaseException:
            self._abandon(child)
            raise

    def _abandon(self, child: _Child) -> None:
        """Roll back the batch's transaction; discard a child that cannot be trusted with it.

        A child still to answer (the exchange was cut short: the child gone, or an
        interrupt) could answer the next batch with this one's results.
        """
        if child.awaited or not child.alive():
            self._discard()
            return
        try:
            child.exchange([_ROLLBACK])
        except BaseException:
            self._discard()
            raise

    def _open(self) -> _Child:
        if self._child is not None and not self._child.alive():
            self._discard()
        if self._child is None:
            self._child = _Child.start(self._path, self._busy_timeout)
        return self._child

    def _discard(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.close()


class _Child:
    """The child process and the pipes to it (see `_sqlite_child` for the messages)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdin is not None and process.stdout is not None
        self._process = process
        self._to = process.stdin.fileno()
        self._from = process.stdout.fileno()
        self.awaited = 0
        """Messages sent whose answers are not yet read."""

    @classmethod
    def start(cls, path: str, busy_timeout: float) -> _Child:
        try:
            process = subprocess.Popen(  # noqa: S603 (this interpreter, a file of this package)
                [sys.executable, "-I", "-S", str(_CHILD), path, repr(busy_timeout)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        except OSError as exc:
            error = sqlite3.OperationalError(f"cannot start the SQLite writer process: {exc}")
            raise as_sqlalchemy_error(error, "connect") from exc
        child = cls(process)
        try:
            child.awaited = 1  # it answers first with the connection it opened
            opened = child._receive([("run", "connect", ())])
            if isinstance(opened, BaseException):
                raise opened
        except BaseException:
            child.close()
            raise
        return child

    def alive(self) -> bool:
        return self._process.poll() is None

    def exchange(
        self, requests: list[Request], sent: Callable[[], None] | None = None
    ) -> list[Any]:
        """Send statements and return their results; raise the first error as SQLAlchemy would.

        The statements go in messages of up to `_VALUES_PER_MESSAGE` values, all sent
        before any answer is read, so the child holds one message's values at a time
        (a batch of 4,000 rows in one message took its memory from 12 to 21 MiB) and
        goes from one to the next without waiting. After a failed statement the child
        skips what follows until the rollback. `sent` is called once all are sent.
        """
        messages = _messages(requests)
        for message in messages:
            self._send(message)
        if sent is not None:
            sent()
        results: list[Any] = []
        failure: BaseException | None = None
        for message in messages:
            answer = self._receive(message)
            if isinstance(answer, BaseException):
                failure = failure or answer
            else:
                results.extend(answer)
        if failure is not None:
            raise failure
        return results

    def _send(self, requests: list[Request]) -> None:
        try:
            payload = marshal.dumps(requests)
        except ValueError:
            plain = [(op, sql, _plain(sql, values)) for op, sql, values in requests]
            payload = marshal.dumps(plain)
        self.awaited += 1
        data = memoryview(_LENGTH.pack(len(payload)) + payload)
        try:
            while data:
                data = data[os.write(self._to, data) :]
        except OSError as exc:
            raise self._gone(requests[0][1]) from exc

    def _receive(self, requests: list[Request]) -> list[Any] | BaseException:
        """Return the results of `requests`, or the error of the first that failed."""
        header = self._read(_LENGTH.size)
        body = None if header is None else self._read(_LENGTH.unpack(header)[0])
        if body is None:
            raise self._gone(requests[0][1])
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

    def _read(self, size: int) -> bytes | None:
        chunks: list[bytes] = []
        while size:
            try:
                chunk = os.read(self._from, min(size, 1 << 20))
            except OSError:
                return None
            if not chunk:
                return None
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _gone(self, sql: str) -> DBAPIError:
        try:
            status = self._process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            status = None
        error = sqlite3.OperationalError(f"the SQLite writer process exited (status {status})")
        return as_sqlalchemy_error(error, sql)

    def close(self) -> None:
        """Close its input: it rolls back what is open, closes its connection and exits."""
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()
        try:
            self._process.wait(timeout=_EXIT_WAIT)
        except subprocess.TimeoutExpired:
            log.error("the SQLite writer process did not exit in %.0f s; killing it", _EXIT_WAIT)
            self._process.kill()
            self._process.wait()


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
