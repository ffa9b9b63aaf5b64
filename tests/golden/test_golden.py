"""Every prompt, in every language, as Discord, Slack and the console show it.

Each prompt key is rendered with `tests.prompt_samples` (member text as hostile as
it gets) through each platform's real renderer, and written to one reviewable file
per platform, language and prompt file: `tests/golden/<platform>/<language>/<file>.txt`
(content pools together in `pools.txt`). A change in what members see shows up as
a diff of those files. After a deliberate change, regenerate and review them:

    TERREAU_UPDATE_GOLDEN=1 .venv/bin/pytest tests/golden -q
    git diff tests/golden

Independently of the files, every rendering is checked: no platform limit is
exceeded, Slack never shows a Markdown asterisk pair, and no link, mention or
markup on Discord or Slack comes from member text.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.console.render import render_blocks
from adapters.discord.render import MAX_CONTENT, Rendered
from adapters.discord.render import render as render_discord
from adapters.slack.blocks import BLOCKS_LIMIT, FALLBACK_LIMIT, TEXT_LIMIT, SlackMessage
from adapters.slack.blocks import render as render_slack
from bot.domain import Post
from bot.domain.markup import plain
from bot.prompts import Catalog, Prompts
from tests.prompt_samples import HOSTILE, HOSTILE_LINES, IDS, channel, samples

pytestmark = pytest.mark.core

HERE = Path(__file__).parent
PROMPTS = Prompts.load(HERE.parents[1] / "prompts")
PLATFORMS = ("discord", "slack", "console")
UPDATE = os.environ.get("TERREAU_UPDATE_GOLDEN") == "1"
CASES = [(platform, language) for platform in PLATFORMS for language in PROMPTS.languages]


def posts(catalog: Catalog, platform: str) -> Iterator[tuple[str, str, Post]]:
    """Yield (file, key, post) for every prompt key and every content-pool item."""
    for key in catalog.keys():
        yield key.split(".", 1)[0], key, catalog.post(key, **samples(key, platform))
    for name, pool in sorted(catalog.pools().items()):
        for item in pool.items:
            key = f"pools.{name}.{item.id}"
            yield "pools", key, catalog.render_item(name, item.id, **samples(key, platform))


def shown(platform: str, post: Post) -> str:
    """Return what a platform sends for `post`, written out for review."""
    if platform == "discord":
        messages = render_discord(post)
        return _numbered([_discord(message) for message in messages])
    if platform == "slack":
        return _numbered([_slack(message) for message in render_slack(post)])
    return render_blocks(post.blocks())


def _numbered(parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return "\n".join(
        f"--- message {index} of {len(parts)} ---\n{part}" for index, part in enumerate(parts, 1)
    )


def _discord(message: Rendered) -> str:
    users = message.allowed_mentions.to_dict().get("users") or []
    pings = f"\n(may ping: {', '.join(str(user) for user in users)})" if users else ""
    return message.content + pings


def _slack(message: SlackMessage) -> str:
    lines = [f"text: {message.text}"]
    for block in message.blocks:
        for element in block.get("elements", []):
            kind = element.get("type", block["type"])
            inline = element.get("elements", [element])
            lines.append(f"{kind}: {json.dumps(inline, ensure_ascii=False)}")
    return "\n".join(lines)


def golden_files(platform: str, language: str) -> dict[str, str]:
    """Return the expected contents of every golden file of one platform and language."""
    sections: dict[str, list[str]] = defaultdict(list)
    for stem, key, post in posts(PROMPTS.catalog(language), platform):
        sections[stem].append(f"## {key}\n{shown(platform, post)}\n")
    return {stem: "\n".join(parts) for stem, parts in sections.items()}


@pytest.mark.parametrize(("platform", "language"), CASES)
def test_golden_files_show_every_prompt(platform: str, language: str) -> None:
    folder = HERE / platform / language
    expected = golden_files(platform, language)
    if UPDATE:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.txt"):
            if stale.stem not in expected:
                stale.unlink()
        for stem, text in expected.items():
            (folder / f"{stem}.txt").write_text(text, encoding="utf-8")
    found = {path.stem for path in folder.glob("*.txt")}
    assert found == set(expected), "regenerate: TERREAU_UPDATE_GOLDEN=1 pytest tests/golden"
    for stem, text in expected.items():
        on_disk = (folder / f"{stem}.txt").read_text(encoding="utf-8")
        assert on_disk == text, (
            f"{platform}/{language}/{stem}.txt differs from what members would see now; "
            "if the change is meant, run TERREAU_UPDATE_GOLDEN=1 pytest tests/golden "
            "and review the diff"
        )


def test_every_key_of_every_language_is_in_the_golden_files() -> None:
    for language in PROMPTS.languages:
        catalog = PROMPTS.catalog(language)
        keys = {key for _, key, _ in posts(catalog, "console")}
        assert set(catalog.keys()) <= keys
        written = "".join(
            path.read_text(encoding="utf-8") for path in (HERE / "slack" / language).glob("*.txt")
        )
        assert {line[3:] for line in written.splitlines() if line.startswith("## ")} == keys


# Checks on every rendering, whatever the files say.

_DISCORD_ALLOWED_REFS = {f"<@{IDS['discord'][n]}>" for n in ("alice", "bob")} | {
    f"<#{IDS['discord']['channel']}>"
}
_ESCAPED = re.compile(r"\\.", re.DOTALL)
_CODE = re.compile(r"(`+)(.+?)\1", re.DOTALL)


def _unescaped_discord(content: str) -> str:
    """What Discord would read as markup: the content less escapes and code spans."""
    return _CODE.sub("", _ESCAPED.sub("", content))


@pytest.mark.parametrize("language", PROMPTS.languages)
def test_discord_shows_member_text_inert_and_within_limits(language: str) -> None:
    catalog = PROMPTS.catalog(language)
    allowed_users = {int(IDS["discord"][name]) for name in ("alice", "bob")}
    for _, key, post in posts(catalog, "discord"):
        for message in render_discord(post):
            content = message.content
            assert len(content) <= MAX_CONTENT, key
            payload = message.allowed_mentions.to_dict()
            assert payload["parse"] == [], key
            assert {int(u) for u in payload.get("users", [])} <= allowed_users, key
            live = _unescaped_discord(content)
            for ref in _DISCORD_ALLOWED_REFS:
                live = live.replace(ref, "")
            for link in post.links:
                # The core's own addresses (an invitation link) are the links meant to be live.
                live = live.replace(link.url, "")
            assert "://" not in live, (key, "a live link")
            assert "](" not in live and "<" not in live, (key, "a masked link or a mention")
            assert "||" not in live and "```" not in live, (key, "a spoiler or a code block")
            assert not re.search(r"@(everyone|here)\b", live), (key, "a mass mention")
            assert not re.search(r"^\s*(#|>|-)", live.replace("> ", "", 1), re.MULTILINE) or (
                _quote_lines_only(live)
            ), (key, "a heading, list or quote from member text")


def _quote_lines_only(live: str) -> bool:
    """Lines starting with `>` are the renderer's own quotes (`> ` then escaped text)."""
    return all(
        not re.match(r"\s*(#|-)", line) and (not line.startswith(">") or line.startswith("> "))
        for line in live.splitlines()
    )


def _slack_elements(message: SlackMessage) -> Iterator[dict[str, Any]]:
    for block in message.blocks:
        if block["type"] != "rich_text":
            continue
        for element in block["elements"]:
            yield from element["elements"]


@pytest.mark.parametrize("language", PROMPTS.languages)
def test_slack_never_shows_markdown_and_member_text_is_plain(language: str) -> None:
    catalog = PROMPTS.catalog(language)
    users = {IDS["slack"]["alice"], IDS["slack"]["bob"]}
    for _, key, post in posts(catalog, "slack"):
        messages = render_slack(post)
        for message in messages:
            assert len(message.blocks) <= BLOCKS_LIMIT, key
            assert len(message.text) <= FALLBACK_LIMIT, key
            text = "".join(e.get("text", "") for e in _slack_elements(message))
            assert len(text) <= TEXT_LIMIT, key
            template_text = text.replace(HOSTILE, "").replace(HOSTILE_LINES, "")
            for line in HOSTILE_LINES.splitlines():
                template_text = template_text.replace(line, "")
            assert "**" not in template_text, (key, "Markdown shown literally")
            for element in _slack_elements(message):
                kind = element["type"]
                assert kind in {"text", "user", "channel", "link"}, (key, kind)
                if kind == "user":
                    assert element["user_id"] in users, key
                if kind == "channel":
                    assert element["channel_id"] == channel("slack").channel_id, key
                if kind == "link":
                    assert "evil.example" not in element["url"], (key, "a link from member text")
            fallback = message.text
            for ref in (*(f"<@{u}>" for u in users), f"<#{channel('slack').channel_id}>"):
                fallback = fallback.replace(ref, "")
            assert "<" not in fallback, (key, "markup in the notification text")


@pytest.mark.parametrize("language", PROMPTS.languages)
def test_the_console_shows_member_text_exactly_and_no_markup(language: str) -> None:
    catalog = PROMPTS.catalog(language)
    for _, key, post in posts(catalog, "console"):
        text = render_blocks(post.blocks())
        assert text == plain(post.blocks()).replace(
            f"#{channel('console').name}", f"#{channel('console').channel_id}"
        )
        template_text = text.replace(HOSTILE, "")
        for line in HOSTILE_LINES.splitlines():
            template_text = template_text.replace(line, "")
        assert "**" not in template_text, key
