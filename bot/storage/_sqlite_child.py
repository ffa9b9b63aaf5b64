"""The interaction writer's SQLite process: runs the statements its parent sends, in order.

Started by `_sqlite_process` as `python -I -S <this file> <database path> <busy timeout>`,
it imports the standard library only. It reads requests from its standard input and
answers each on its standard output, one at a time; each message is a 4-byte
little-endian length followed by a `marshal` payload.

A request is a list of statements, run in order: `(operation, sql, values)` each,
where the operation is

- `"run"` or `"commit"`: a statement without parameters (`BEGIN IMMEDIATE`, `COMMIT`);
- `"execute"`: one statement with its values, whose result is its affected-row count
  and the last inserted id;
- `"fetch"`: one query, whose result is its rows;
- `"rollback"`: roll back the open transaction, if any.

The answer is `("ok", results)`, one result a statement, or, at the first statement
that fails, `("error", its index, error class name, message, SQLite error code)`; the
statements after it are not run and an open transaction stays open. The parent may send
several requests before reading their answers: after a failure, every statement of the
requests that follow is refused ("skipped") until a `"rollback"`, so that nothing meant
for the failed transaction runs outside it.

The process ignores SIGINT and SIGTERM, which a terminal or a service manager sends to
the whole process group: it stops when its parent closes the pipe (end of input), so
a parent that is shutting down can still write its last batch. An open transaction is
then rolled back by SQLite.
"""

from __future__ import annotations

import marshal
import os
import signal
import sqlite3
import struct
import sys
from typing import Any

_LENGTH = struct.Struct("<I")


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _result(connection: sqlite3.Connection, operation: str, sql: str, values: Any) -> Any:
    if operation == "execute":
        cursor = connection.execute(sql, values)
        return (cursor.rowcount, cursor.lastrowid or 0)
    if operation == "fetch":
        return [tuple(row) for row in connection.execute(sql, values)]
    if operation in {"run", "commit"}:
        connection.execute(sql)
        return None
    if operation == "rollback":
        if connection.in_transaction:
            connection.rollback()
        return None
    raise sqlite3.InterfaceError(f"unknown operation {operation!r}")


class _Session:
    """The connection, and whether a statement failed since the last rollback."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.failed = False

    def answer(self, request: list[tuple[str, str, Any]]) -> tuple[Any, ...]:
        results: list[Any] = []
        for index, (operation, sql, values) in enumerate(request):
            if self.failed and operation != "rollback":
                return ("error", index, "OperationalError", "skipped after a failure", None)
            try:
                results.append(_result(self.connection, operation, sql, values))
            except sqlite3.Error as exc:
                self.failed = True
                code = getattr(exc, "sqlite_errorcode", None)
                return ("error", index, type(exc).__name__, str(exc), code)
            except (UnicodeError, ValueError, TypeError, OverflowError) as exc:
                self.failed = True
                return ("error", index, type(exc).__name__, str(exc), None)
            if operation == "rollback":
                self.failed = False
        return ("ok", results)


def _open(path: str, busy_timeout: float) -> sqlite3.Connection:
    connection = sqlite3.connect(
        path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )
    connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA synchronous = NORMAL")
    return connection


def main(path: str, busy_timeout: float) -> int:
    """Serve requests until the parent closes the pipe; return the exit status."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_IGN)
    reading, writing = sys.stdin.fileno(), sys.stdout.fileno()
    try:
        connection = _open(path, busy_timeout)
        opened: tuple[Any, ...] = ("ok", [sqlite3.sqlite_version])
    except sqlite3.Error as exc:
        connection = None
        code = getattr(exc, "sqlite_errorcode", None)
        opened = ("error", 0, type(exc).__name__, str(exc), code)
    payload = marshal.dumps(opened)
    _write_all(writing, _LENGTH.pack(len(payload)) + payload)
    if connection is None:
        return 1
    session = _Session(connection)
    while True:
        header = _read_exactly(reading, _LENGTH.size)
        if header is None:
            break
        body = _read_exactly(reading, _LENGTH.unpack(header)[0])
        if body is None:
            break
        request = marshal.loads(body)  # noqa: S302 (written by the parent that started it)
        payload = marshal.dumps(session.answer(request))
        _write_all(writing, _LENGTH.pack(len(payload)) + payload)
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
