"""The base of every config model: frozen, and unknown keys are errors."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StrictStr

from bot.scheduling import CronError, parse_cron

SLUG = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


class _Model(BaseModel):
    """A config table: frozen, and a key it does not declare is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def slug(value: str) -> str:
    """Return `value` if it is a slug (lowercase letters, digits, single `-` or `_`)."""
    if not SLUG.fullmatch(value):
        raise ValueError(f'expected a slug (lowercase letters, digits, "-" or "_"), got "{value}"')
    return value


def cron(value: str) -> str:
    """Return `value` if it is a valid five-field cron expression."""
    try:
        parse_cron(value)
    except CronError as error:
        raise ValueError(f'invalid cron expression "{value}": {error}') from None
    return value


Slug = Annotated[StrictStr, AfterValidator(slug)]
"""A name in config: lowercase letters and digits, words joined by `-` or `_`."""
Cron = Annotated[StrictStr, AfterValidator(cron)]
"""A cron expression, checked when the config is loaded."""
