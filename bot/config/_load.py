"""Reading the config file: TOML syntax, models, cross-key rules, each problem with its line."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot._toml_lines import KeyPath, Locator
from bot.config._checks import Finding, community_key_findings, secret_findings, suggestion
from bot.config._errors import ConfigError, ConfigProblem, format_path
from bot.config._models import REFERENCE_ERROR, CommunityConfig, Settings, matrix_findings
from bot.config._sections import registered_sections

log = logging.getLogger(__name__)

_INTERNAL_KEYS = frozenset({"config_path"})
_SYNTAX_POSITION = re.compile(
    r"^(?P<message>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$"
)
_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "bool_type": "true or false",
    "tuple_type": "an array",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "path_type": "a path (a string)",
}


def load_settings(path: Path) -> Settings:
    """Read and validate the config file at `path`; raise ConfigError listing every problem."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        message = "config file not found (start from a copy of examples/terreau.toml)"
        raise ConfigError(path, [ConfigProblem(message=message)]) from None
    except IsADirectoryError:
        raise ConfigError(path, [ConfigProblem(message="is a directory, not a file")]) from None
    except OSError as error:
        message = f"cannot read the config file: {error.strerror}"
        raise ConfigError(path, [ConfigProblem(message=message)]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        problem = ConfigProblem(line=line, message="the file is not UTF-8 text")
        raise ConfigError(path, [problem]) from None
    return parse_settings(text, path)


def parse_settings(text: str, path: Path) -> Settings:
    """Validate config `text` read from `path` (relative paths in it start from its folder)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, [_syntax_problem(error, text)]) from None
    secrets = secret_findings(data)
    findings = [*secrets, *_file_findings(data)]
    settings: Settings | None = None
    try:
        settings = Settings.model_validate({**data, "config_path": path})
    except ValidationError as error:
        findings.extend(f for e in error.errors() if (f := _finding(e)) is not None)
    if settings is not None and not findings:
        return settings
    locator = Locator(text)
    problems = [
        ConfigProblem(path=format_path(where), line=locator.line_of(where), message=message)
        for where, message in _without_shadowed(findings, secrets)
    ]
    problems.sort(key=lambda problem: problem.line or 0)
    raise ConfigError(path, problems)


def _file_findings(data: Mapping[str, Any]) -> list[Finding]:
    """Find what the models cannot see key by key: internal keys and cross-references."""
    findings: list[Finding] = [
        ((key,), f"unknown key '{key}'") for key in sorted(_INTERNAL_KEYS.intersection(data))
    ]
    communities = data.get("communities", [])
    if isinstance(communities, list):
        if not communities:
            findings.append((("communities",), "add at least one [[communities]] table"))
        findings.extend(community_key_findings(communities))
        findings.extend(matrix_findings(data))
        rules = [section.findings for section in registered_sections() if section.findings]
        for index, community in enumerate(communities):
            if isinstance(community, Mapping):
                findings.extend(
                    (("communities", index, *where), message)
                    for rule in rules
                    for where, message in rule(community)
                )
    return findings


def _finding(error: ErrorDetails) -> Finding | None:
    """Turn one pydantic error into a (key path, message) finding, or None if reported already."""
    kind = error["type"]
    where: KeyPath = tuple(key for key in error["loc"] if key != "[key]")
    value = error["input"]
    ctx = error.get("ctx", {})
    if kind == REFERENCE_ERROR:
        return None
    if where == ("communities",) and kind in ("missing", "too_short"):
        # Reported from the file; pydantic also says "too short" when every community fails.
        return None
    return where, _message(kind, where, value, ctx, error["msg"])


def _message(kind: str, where: KeyPath, value: object, ctx: dict[str, Any], default: str) -> str:
    if kind == "extra_forbidden":
        key = str(where[-1])
        return f"unknown key '{key}'" + suggestion(key, _known_keys(where[:-1]))
    if kind == "missing":
        return "required key is missing"
    if kind == "value_error":
        return str(ctx["error"])
    if kind == "literal_error":
        return f"expected {ctx['expected']}, got {_show(value)}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_show(value)}{_type_hint(kind, where, value)}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}, got {_show(value)}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}, got {_show(value)}"
    if kind == "string_too_short":
        return "must not be empty"
    return default[:1].lower() + default[1:]


def _type_hint(kind: str, where: KeyPath, value: object) -> str:
    if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
        return f' (write it in quotes: "{value}")'
    if kind in ("tuple_type", "list_type") and isinstance(value, dict):
        table = ".".join(key for key in where if isinstance(key, str))
        return f" (write [[{table}]] above each entry)"
    return ""


def _known_keys(table: KeyPath) -> list[str]:
    """Return the keys the model at `table` accepts (for "did you mean" hints)."""
    sections = {section.key: section.model for section in registered_sections()}
    model: type[BaseModel] | None = Settings
    for key in table:
        if model is None:
            return []
        if isinstance(key, str):
            field = model.model_fields.get(key)
            if model is CommunityConfig and field is None:
                model = sections.get(key)
            else:
                model = _model_in(field.annotation) if field is not None else None
    if model is None:
        return []
    known = [name for name in model.model_fields if name not in _INTERNAL_KEYS]
    return [*known, *sections] if model is CommunityConfig else known


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _without_shadowed(findings: list[Finding], secrets: list[Finding]) -> list[Finding]:
    """Drop duplicates, and other findings at or under a key that holds a secret.

    The secret's own finding says what to do; repeating "unknown key" or echoing the
    value in a type error would add noise, or print the secret.
    """
    secret_paths = [where for where, _ in secrets]
    kept: list[Finding] = []
    for finding in findings:
        where = finding[0]
        shadowed = any(where[: len(path)] == path for path in secret_paths)
        if finding in kept or (shadowed and finding not in secrets):
            continue
        kept.append(finding)
    return kept


def _syntax_problem(error: tomllib.TOMLDecodeError, text: str) -> ConfigProblem:
    reason = str(error)
    match = _SYNTAX_POSITION.match(reason)
    if match is None:
        reason = reason.replace("(at end of document)", "(at the end of the file)")
        line, column = text.count("\n") + 1, None
    else:
        reason = match["message"]
        line, column = int(match["line"]), int(match["column"])
    message = f"TOML syntax error: {reason[:1].lower()}{reason[1:]}"
    return ConfigProblem(line=line, column=column, message=message)


def _show(value: object) -> str:
    """Spell a TOML value as the operator wrote it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = json.dumps(value, ensure_ascii=False)
        return shown if len(shown) <= 60 else shown[:56] + '..."'
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return f"the date/time {value.isoformat()}"
    return str(value)
