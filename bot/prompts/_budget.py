"""The render budget: operator templates cannot loop or grow values without bound.

Jinja's sandbox stops templates from reaching Python internals, but not from
spending: two nested `range(100000)` loops run ten billion times, `'x' * 10**9`
builds a gigabyte and `9 ** 9 ** 9` computes for minutes. Here every `for` loop of
a template draws its iterations from one budget per render, `range()` and the
operators `*`, `**` and `%` refuse results larger than `MAX_SIZE`, and so do the
filters that take a width. Going over raises `BudgetExceeded`, which the renderer
reports as a `RenderError` naming the prompt.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import nodes, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

log = logging.getLogger(__name__)

MAX_STEPS = 100_000
"""Loop iterations one render may take, all loops together."""
MAX_SIZE = 5_000
"""The largest string, list or range a template may build with `*`, `range` or a width."""
BUDGET = "__terreau_budget__"
"""The context variable holding a render's `Budget`."""
_LOOP = "__terreau_loop__"
_MAX_BITS = 64 * MAX_SIZE
_WIDTH = re.compile(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_WIDTH_FILTERS = ("center", "indent", "wordwrap", "truncate")


class BudgetExceeded(OverflowError):
    """A template went over its render budget."""


class Budget:
    """What one render may still spend."""

    def __init__(self, steps: int = MAX_STEPS) -> None:
        self.steps = steps

    def spend(self, steps: int) -> None:
        """Take `steps` loop iterations from the budget, or raise `BudgetExceeded`."""
        self.steps -= steps
        if self.steps < 0:
            raise BudgetExceeded(f"the template loops more than {MAX_STEPS} times")


class BudgetedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with `*`, `**` and `%` checked before they run."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Refuse an operation whose result would exceed the budget, else run it."""
        if operator == "*":
            _check_repeat(left, right)
        elif operator == "**":
            _check_power(left, right)
        elif isinstance(left, str):
            _check_format(left)
        return super().call_binop(context, operator, left, right)


def install(env: BudgetedSandbox) -> None:
    """Add the budgeted `range` and loop guard, and bound the filters that take a width."""
    env.globals["range"] = _range
    env.globals[_LOOP] = _loop
    for name in _WIDTH_FILTERS:
        env.filters[name] = _bounded(env.filters[name])
    env.filters["format"] = _bounded_format(env.filters["format"])


def guard_loops(tree: nodes.Template) -> nodes.Template:
    """Make every `for` loop of a parsed template draw its iterations from the budget."""
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Call(
            nodes.Name(_LOOP, "load", lineno=loop.lineno),
            [loop.iter],
            [],
            None,
            None,
            lineno=loop.lineno,
        )
    return tree


def _budget_of(context: Context) -> Budget:
    budget = context.get(BUDGET)
    # Templates rendered outside `Renderer.render` (date formats) get a budget each call.
    return budget if isinstance(budget, Budget) else Budget()


@pass_context
def _loop(context: Context, iterable: Iterable[Any]) -> Iterator[Any]:
    budget = _budget_of(context)
    for item in iterable:
        budget.spend(1)
        yield item


@pass_context
def _range(context: Context, *args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_SIZE:
        raise BudgetExceeded(f"range() of {len(numbers)} numbers (at most {MAX_SIZE})")
    return numbers


def _check_repeat(left: Any, right: Any) -> None:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, str | list | tuple) and isinstance(count, int):
            if len(sequence) * count > MAX_SIZE:
                raise BudgetExceeded(f"a value of {len(sequence) * count} items (max {MAX_SIZE})")


def _check_power(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        if right * abs(left).bit_length() > _MAX_BITS:
            raise BudgetExceeded(f"a number of more than {_MAX_BITS} bits")


def _check_format(template: str) -> None:
    for match in _WIDTH.finditer(template):
        for width in match.groups():
            if width == "*" or (width is not None and int(width) > MAX_SIZE):
                raise BudgetExceeded(f"a format width over {MAX_SIZE} (or `*`)")


def _bounded(filter_: Callable[..., Any]) -> Callable[..., Any]:
    # `wraps` copies Jinja's `pass_environment` mark too, so the arguments stay in place.
    @functools.wraps(filter_)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        for width in (*args, *kwargs.values()):
            if isinstance(width, int) and width > MAX_SIZE:
                raise BudgetExceeded(f"a width of {width} (at most {MAX_SIZE})")
        return filter_(*args, **kwargs)

    return bounded


def _bounded_format(filter_: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(filter_)
    def bounded(value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            _check_format(value)
        return filter_(value, *args, **kwargs)

    return bounded
