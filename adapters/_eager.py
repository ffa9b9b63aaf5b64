"""Running a coroutine at once, in a task only from its first wait on.

A platform's reader hands each event to the core in a coroutine, and starting a
task for each costs more than handling most events does: the task, its first
step scheduled and run on a later turn of the loop, a callback scheduled for each
thing told of its end (measured: about 4 us an event with one callback, 9 us with
three, against 1 us when run at once). Most events need not wait for anything (the
interaction writer's queue has room, no handler reads the database), so
`start_eagerly` runs the coroutine where it is called, and only a coroutine that
does wait goes on in a task, which the caller then tracks as it would any.
Python 3.12's `asyncio.eager_task_factory` does this; Terreau runs on 3.11.

The coroutine runs in a copy of the caller's context, as a task would, and its
task goes on in that copy. Until its first wait it runs inside the caller's task:
`asyncio.current_task()` is the caller's there, so a handler must not capture the
current task before it first waits (`asyncio.timeout` and `TaskGroup` do: they
would cancel the reader). Terreau's event handlers do not.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine, Generator
from typing import Any


def start_eagerly(
    coro: Coroutine[Any, Any, None], *, name: str | None = None
) -> asyncio.Task[None] | None:
    """Run `coro` up to its first wait; return None when it finished, else the task going on.

    An exception the coroutine raises before it first waits is raised here.
    """
    context = contextvars.copy_context()
    try:
        waiting = context.run(coro.send, None)
    except StopIteration:
        return None
    loop = asyncio.get_running_loop()
    return loop.create_task(_go_on(coro, waiting), name=name, context=context)


async def _go_on(coro: Coroutine[Any, Any, None], waiting: Any) -> None:
    await _Started(coro, waiting)


class _Started:
    """A coroutine already run up to a wait, awaited from there (as `yield from` would be)."""

    __slots__ = ("_coro", "_waiting")

    def __init__(self, coro: Coroutine[Any, Any, None], waiting: Any) -> None:
        self._coro = coro
        self._waiting = waiting

    def __await__(self) -> Generator[Any, Any, None]:
        coro, waiting = self._coro, self._waiting
        self._waiting = None
        while True:
            try:
                sent = yield waiting
            except BaseException as error:  # thrown in by the task: cancelled, or closed
                try:
                    waiting = coro.throw(error)
                except StopIteration:
                    return
            else:
                try:
                    waiting = coro.send(sent)
                except StopIteration:
                    return
