"""Every user-facing sentence and content pool, loaded from `prompts/<lang>/*.toml`.

A file is a namespace named after its stem: the string at `[posts.list] help` in
`commands.toml` is `commands.posts.list.help`. Content pools live under a
top-level `[pools.<name>]` table in any file. Everything is validated and
compiled once, at start-up; `PromptError` lists every problem at once.

Strings are Jinja templates rendered in an immutable sandbox with strict
undefined variables. Member-supplied values are only ever variables: strings
lose any mention-marker characters, and `Mention` values (or lists of them)
become explicit mentions of the resulting `Post`.
"""

from __future__ import annotations

from bot.prompts._catalog import Catalog, ContentItem, Pool, Prompts
from bot.prompts._problems import Problem, PromptError, PromptLookupError, RenderError
from bot.prompts._render import DEFAULT_MAX_LENGTH, MONTHS

__all__ = [
    "DEFAULT_MAX_LENGTH",
    "MONTHS",
    "Catalog",
    "ContentItem",
    "Pool",
    "Problem",
    "PromptError",
    "PromptLookupError",
    "Prompts",
    "RenderError",
]
