"""Template injection attempts in operator content: prompts and content pools."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.prompts import DEFAULT_MAX_LENGTH, PromptError, Prompts, RenderError
from tests.faults.conftest import AT_NINE, REPO, FaultBot, config_text

pytestmark = pytest.mark.core

ESCAPES = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ self._TemplateReference__context }}",
    "{% set x = [] %}{{ x.append(1) }}",
    "{% include 'other' %}",
]
BROKEN = [
    "{% for x in range(3) %}no end",
    "{% if true %}unclosed",
    "{{ unclosed",
    "{% endfor %}",
]
# Each would run for minutes, or take gigabytes, without a render budget.
EXPENSIVE = [
    "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for a in 'x' * 50000 %}{% for b in 'y' * 50000 %}.{% endfor %}{% endfor %}",
    "{{ 'x' * 1000000000 }}",
    "{{ [0] * 1000000000 }}",
    "{{ 9 ** (9 ** 9) }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ '%*d'|format(999999999, 1) }}",
    "{{ 'x'|center(999999999) }}",
    "{{ 10 ** 100000000 }}",
    "{{ range(100000)|join(' ' * 100000) }}",
]


def operator_pool(tmp_path: Path, text: str, *, title: str = "Hostile") -> Path:
    """Write an operator prompt directory with a `hostile` pool holding `text` (en and fr)."""
    extra = tmp_path / "operator-prompts"
    for language in ("en", "fr"):
        folder = extra / language
        folder.mkdir(parents=True, exist_ok=True)
        body = (
            f"[pools.hostile]\ntitle = {title!r}\n\n"
            f"[[pools.hostile.items]]\nid = \"one\"\ntext = '''{text}'''\n"
        )
        (folder / "hostile.toml").write_text(body, encoding="utf-8")
    return extra


@pytest.mark.parametrize("text", ESCAPES)
def test_a_sandbox_escape_in_a_pool_is_refused_at_load_naming_file_and_key(
    tmp_path: Path, text: str
) -> None:
    """No crash, nothing runs: the prompts do not load, and the error names the file,
    the pool item and what the sandbox forbids (`terreau check` prints the same)."""
    extra = operator_pool(tmp_path, text)
    with pytest.raises(PromptError) as caught:
        Prompts.load(REPO / "prompts", [extra])
    message = str(caught.value)
    assert "hostile.toml" in message and "pools.hostile.one" in message
    assert "sandbox forbids" in message or "cannot include" in message


@pytest.mark.parametrize("text", BROKEN)
def test_a_template_without_its_end_is_refused_at_load(tmp_path: Path, text: str) -> None:
    """No crash: an unterminated block or expression is a clear load error."""
    extra = operator_pool(tmp_path, text)
    with pytest.raises(PromptError, match=r"pools\.hostile\.one.*template does not parse"):
        Prompts.load(REPO / "prompts", [extra])


@pytest.mark.parametrize("text", EXPENSIVE)
async def test_an_expensive_template_fails_fast_with_a_render_error(
    tmp_path: Path, text: str
) -> None:
    """No hang, no memory blow-up: a template that would loop billions of times or
    build a gigantic value stops at the render budget with a `RenderError` naming it.
    """
    prompts = Prompts.load(REPO / "prompts", [operator_pool(tmp_path, text)])
    catalog = prompts.catalog("en")

    def render() -> object:
        return catalog.render_item("hostile", "one")

    with pytest.raises(RenderError, match=r"pools\.hostile\.one"):
        # A safety net only: the budget makes this return in a fraction of a second.
        await asyncio.wait_for(asyncio.to_thread(render), timeout=60)


def test_loops_within_the_budget_still_render(tmp_path: Path) -> None:
    """Ordinary loops are untouched: a thousand iterations render, within the length guard."""
    text = "{% for i in range(1000) %}{{ i }} {% endfor %}{{ 'ab' * 3 }}{{ 2 ** 10 }}"
    catalog = Prompts.load(REPO / "prompts", [operator_pool(tmp_path, text)]).catalog("en")
    post = catalog.render_item("hostile", "one")
    assert post.plain_text().startswith("Hostile\n\n0 1 2 3")
    assert post.plain_text().endswith("999 ababab1024")
    assert len(post.text) <= DEFAULT_MAX_LENGTH


async def test_a_ritual_whose_content_cannot_render_posts_nothing_and_others_go_on(
    fault_bot: FaultBot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing partial, nothing lost elsewhere: a ritual drawing a template that blows
    its budget claims no run and queues no post (its transaction fails whole; the log
    names the item), while another ritual due at the same moment posts normally.
    """
    extra = operator_pool(tmp_path, EXPENSIVE[0])
    rituals = """
[[communities.posts.schedules]]
name = "hostile"
channel = "general"
cron = "0 9 * * 1"
pool = "hostile"

[[communities.posts.schedules]]
name = "question"
channel = "general"
cron = "0 9 * * 1"
pool = "discussion"
"""
    caplog.set_level(logging.ERROR, logger="bot.scheduling")
    prompts = Prompts.load(REPO / "prompts", [extra])
    await fault_bot.start(config_text(rituals=rituals), prompts=prompts)
    await fault_bot.at(AT_NINE)
    await fault_bot.at(AT_NINE + timedelta(minutes=15))  # the retries fail the same way
    assert "pools.hostile.one" in caplog.text
    assert fault_bot.rows("SELECT job_id FROM run_ledger WHERE job_id LIKE 'posts:%'") == [
        ("posts:console:demo:question",)
    ]
    assert fault_bot.rows("SELECT job_id, status FROM outbox") == [
        ("posts:console:demo:question", "sent")
    ]
    assert len(fault_bot.platform.posts()) == 1
