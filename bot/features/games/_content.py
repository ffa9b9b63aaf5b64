"""Trivia and poll content: `prompts/<lang>/trivia/*.toml` and `polls/*.toml`, validated.

Operators add directories of the same format per community (`trivia_dirs`,
`poll_dirs`). Every problem is collected with its file, line and field, and raised
together as a `PromptError`, at start-up and by `terreau check`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from bot.config import CommunityConfig, Settings
from bot.features.games._config import GamesConfig
from bot.features.games._content_files import Ids, read_polls, read_trivia
from bot.features.games._library import GameContent
from bot.prompts import Problem, PromptError

log = logging.getLogger(__name__)


def load_content(settings: Settings) -> dict[str, GameContent]:
    """Return each community's game content, or raise `PromptError` listing every problem."""
    problems: list[Problem] = []
    shipped: dict[str, GameContent] = {}
    for language in _languages(settings.prompts_dir):
        folder = settings.prompts_dir / language
        content = GameContent()
        trivia_ids, poll_ids = Ids(), Ids()
        for path in _files(folder / "trivia"):
            read_trivia(path, content, trivia_ids, problems)
        for path in _files(folder / "polls"):
            read_polls(path, content, poll_ids, problems)
        shipped[language] = content
    _compare_languages(settings.prompts_dir, shipped, problems)
    result: dict[str, GameContent] = {}
    base = settings.config_path.parent if settings.config_path is not None else Path.cwd()
    for index, community in enumerate(settings.communities):
        content = _community_content(community, shipped, base, problems)
        result[community.key] = content
        _check_schedules(settings, index, community, content, problems)
    if problems:
        raise PromptError(problems)
    return result


def _community_content(
    community: CommunityConfig,
    shipped: Mapping[str, GameContent],
    base: Path,
    problems: list[Problem],
) -> GameContent:
    own = shipped.get(community.language, GameContent())
    games = community.section(GamesConfig)
    if not games.trivia_dirs and not games.poll_dirs:
        return own
    content = GameContent(
        trivia=dict(own.trivia),
        categories=dict(own.categories),
        polls=dict(own.polls),
        poll_kinds=dict(own.poll_kinds),
    )
    trivia_ids = Ids(seen={key: (Path("prompts"), None) for key in own.trivia})
    poll_ids = Ids(seen={key: (Path("prompts"), None) for key in own.polls})
    for directory in games.trivia_dirs:
        for path in _operator_files(base / directory, problems):
            read_trivia(path, content, trivia_ids, problems)
    for directory in games.poll_dirs:
        for path in _operator_files(base / directory, problems):
            read_polls(path, content, poll_ids, problems)
    return content


def _check_schedules(
    settings: Settings,
    index: int,
    community: CommunityConfig,
    content: GameContent,
    problems: list[Problem],
) -> None:
    """Scheduled trivia needs its category, scheduled polls their kind, in this content."""
    config = settings.config_path or Path("config")
    for position, schedule in enumerate(community.section(GamesConfig).schedules):
        key = f"communities[{index}].games.schedules[{position}]"
        if schedule.category is not None and schedule.category not in content.categories:
            known = ", ".join(sorted(content.categories)) or "none"
            problems.append(
                Problem(
                    file=config,
                    key=f"{key}.category",
                    message=f"no trivia category {schedule.category!r} (known: {known})",
                )
            )
        if schedule.game == "poll" and not content.poll_items(schedule.kind):
            problems.append(Problem(file=config, key=key, message="no poll content to draw from"))


def _languages(prompts_dir: Path) -> list[str]:
    if not prompts_dir.is_dir():
        return []
    return sorted(
        child.name
        for child in prompts_dir.iterdir()
        if child.is_dir() and not child.name.startswith((".", "_"))
    )


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.toml")) if folder.is_dir() else []


def _operator_files(folder: Path, problems: list[Problem]) -> list[Path]:
    if not folder.is_dir():
        problems.append(Problem(file=folder, message="game content directory not found"))
        return []
    files = _files(folder)
    if not files:
        problems.append(Problem(file=folder, message="no .toml file in this directory"))
    return files


def _compare_languages(
    prompts_dir: Path, shipped: Mapping[str, GameContent], problems: list[Problem]
) -> None:
    """Every shipped trivia question and poll exists, with the same id, in each language."""
    if len(shipped) < 2:
        return
    for language, content in shipped.items():
        for other, theirs in shipped.items():
            if other == language:
                continue
            for kind, mine, their_ids in (
                ("trivia", content.trivia, theirs.trivia),
                ("polls", content.polls, theirs.polls),
            ):
                missing = sorted(set(mine) - set(their_ids))
                if missing:
                    problems.append(
                        Problem(
                            file=prompts_dir / other / kind,
                            message=(
                                f"{len(missing)} {kind} id(s) of {language}/ missing here: "
                                + ", ".join(missing[:10])
                                + (", ..." if len(missing) > 10 else "")
                            ),
                        )
                    )


def describe(content: GameContent) -> str:
    """Return how many questions, categories and polls some content has."""
    return (
        f"{len(content.trivia)} trivia questions in {len(content.categories)} categories "
        f"({', '.join(sorted(content.categories)) or 'none'}), {len(content.polls)} polls"
    )
