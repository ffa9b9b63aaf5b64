"""`terreau init`: from a community's purpose to a complete, commented terreau.toml.

The operator describes the community (who, why, how many, what members get, how
they meet); `recommend` turns that into features with reasons (a readable table,
`_plan`), and `config_text` writes the commented file in the community's language.
"""

from __future__ import annotations

from bot.onboarding._answers import AUDIENCES, BENEFITS, LANGUAGES, MEETINGS, PLATFORMS, Answers
from bot.onboarding._config_text import config_text, secret_variables
from bot.onboarding._dialogue import Aborted, Dialogue, Problem
from bot.onboarding._plan import Plan, recommend, size_band
from bot.onboarding._questions import Given, InitProblem, Questions

__all__ = [
    "AUDIENCES",
    "BENEFITS",
    "LANGUAGES",
    "MEETINGS",
    "PLATFORMS",
    "Aborted",
    "Answers",
    "Dialogue",
    "Given",
    "InitProblem",
    "Plan",
    "Problem",
    "Questions",
    "config_text",
    "recommend",
    "secret_variables",
    "size_band",
]
