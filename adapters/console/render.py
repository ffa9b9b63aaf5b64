"""Pure rendering of messages as terminal text.

    #12 [Mon 09:00 #general] Terreau: Who is in for a walk? @alice
      [1] Yes   [2] No
    #13 [Mon 09:01 #general] alice (reply to #12): me!
      ↳ #14 [Mon 09:02 #general › #12] bob: count me in
    #15 [Mon 09:02 #general] (only alice sees) Terreau: Your vote is in.
    #16 [Mon 09:03] (DM to bob) Terreau: Welcome!
    #12 (edited) [Mon 10:00 #general] Terreau: The walk is full.

Only a post's explicit mentions become `@name` (and channels `#name`); any other
text, member text above all, is shown as it is (control characters excepted, so
no text can drive the terminal). The markup of a post shows as a terminal can:
bold, italic and struck-through text in those styles when the output is a
terminal (`styled`), as plain words when it is piped to a file or a program;
code keeps its backticks (they show what to type), a link shows its address in
brackets after its label, a quote starts with `> `.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.domain import Block, Choice, Post, ScheduledEvent, Span

log = logging.getLogger(__name__)

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_THREAD = "  ↳ "
_CHOICES_WIDTH = 100
_STYLES = (
    ("bold", "\x1b[1m", "\x1b[22m"),
    ("italic", "\x1b[3m", "\x1b[23m"),
    ("strike", "\x1b[9m", "\x1b[29m"),
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Frame:
    """Where, when, by whom and for whom a numbered message appears."""

    number: int
    when: datetime
    tz: tzinfo
    author: str
    channel_id: str | None = None
    thread_of: str | None = None
    reply_to: str | None = None
    private_to: str | None = None
    direct_to: str | None = None
    edited: bool = False


def format_when(moment: datetime, tz: tzinfo) -> str:
    """Return `Mon 09:00` for `moment` in the community's time zone."""
    local = moment.astimezone(tz)
    return f"{_WEEKDAYS[local.weekday()]} {local:%H:%M}"


def render_post(post: Post, frame: Frame, *, styled: bool = False) -> str:
    """Render a bot post: its markup, explicit mentions as `@name`, then image, file, choices."""
    text = render_blocks(post.blocks(), styled=styled)
    return _render(
        text, frame, image_path=post.image_path, file_path=post.file_path, choices=post.choices
    )


def render_blocks(blocks: Sequence[Block], *, styled: bool = False) -> str:
    """Render a post's paragraphs for a terminal: styles as escape codes when `styled`."""
    paragraphs = []
    for block in blocks:
        prefix = "> " if block.quote else ""
        lines = ["".join(_span(span, styled) for span in line) for line in block.lines]
        paragraphs.append("\n".join(prefix + line for line in lines))
    return "\n\n".join(paragraphs)


def _span(span: Span, styled: bool) -> str:
    if span.channel is not None:
        text = f"#{_clean(span.channel.channel_id)}"
    elif span.code:
        text = f"`{_clean(span.text)}`"
    else:
        text = _clean(span.text)
    if span.link is not None and span.link != span.text:
        text += f" ({_clean(span.link)})"
    if not styled:
        return text
    for name, start, end in _STYLES:
        if getattr(span, name):
            text = f"{start}{text}{end}"
    return text


def render_member_message(text: str, frame: Frame) -> str:
    """Render a member's message exactly as typed (nothing in it becomes a mention)."""
    return _render(_clean(text), frame)


def render_thread_opened(
    title: str, *, parent: int, channel_id: str, when: datetime, tz: tzinfo, author: str
) -> str:
    """Render the notice that `author` opened a thread on message `parent`."""
    place = f"[{format_when(when, tz)} #{channel_id} › #{parent}]"
    return f"{_THREAD}{place} {author} opened a thread: {_clean(title)}"


def render_space_change(
    channel_id: str,
    change: str,
    names: Sequence[str],
    *,
    private: bool | None,
    when: datetime,
    tz: tzinfo,
) -> str:
    """Render the notice that a space was opened, joined or archived."""
    kind = "" if private is None else (" (private)" if private else " (public)")
    who = f" for {', '.join(_clean(name) for name in names)}" if names else ""
    return f"[{format_when(when, tz)}] #{_clean(channel_id)}{kind} {change}{who}"


def render_scheduled_event(
    event: ScheduledEvent, number: int, *, when: datetime, tz: tzinfo
) -> str:
    """Render the notice that an event was listed on the community's calendar."""
    where = f"voice #{_clean(event.voice_channel_id)}" if event.voice_channel_id else None
    place = where or _clean(event.location) or "external"
    return (
        f"[{format_when(when, tz)}] event {number} scheduled: {_clean(event.title)},"
        f" {format_when(event.starts_at, tz)} to {format_when(event.ends_at, tz)} ({place})"
    )


def render_cancelled_event(number: str, title: str, *, when: datetime, tz: tzinfo) -> str:
    """Render the notice that an event was taken off the community's calendar."""
    return f"[{format_when(when, tz)}] event {number} cancelled: {_clean(title)}"


def space_name(title: str) -> str:
    """Return a channel name for `title`: lower case words joined by dashes."""
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    return "-".join(words)[:80].strip("-") or "group"


def render_role_change(
    role: str, given: Sequence[str], taken: Sequence[str], *, when: datetime, tz: tzinfo
) -> str:
    """Render the notice that a role changed hands (the member of the month's)."""
    parts = []
    if given:
        parts.append(f"given to {', '.join(_clean(name) for name in given)}")
    if taken:
        parts.append(f"taken from {', '.join(_clean(name) for name in taken)}")
    return f"[{format_when(when, tz)}] role {_clean(role)}: {'; '.join(parts) or 'unchanged'}"


def render_echo(line: str, *, when: datetime, tz: tzinfo, channel_id: str) -> str:
    """Render an input line for a script transcript."""
    return f"[{format_when(when, tz)} #{channel_id}] {_clean(line)}"


def render_number(number: int) -> str:
    """Render the number given to a message the operator just typed."""
    return f"  (#{number})"


def render_error(message: str, line_number: int | None = None) -> str:
    """Render a one-line error, with the script line number when there is one."""
    where = f"line {line_number}: " if line_number is not None else ""
    return f"error: {where}{_clean(message)}".replace("\n", " ")


def _render(
    text: str,
    frame: Frame,
    *,
    image_path: str | None = None,
    file_path: str | None = None,
    choices: Sequence[Choice] = (),
) -> str:
    indent = _THREAD if frame.thread_of is not None else ""
    body_indent = " " * len(indent) + "    "
    first, *rest = text.split("\n")
    lines = [f"{indent}{_header(frame)}{first}"]
    lines.extend(f"{body_indent}{line}" for line in rest)
    if image_path is not None:
        lines.append(f"{body_indent}[image: {_clean(image_path)}]")
    if file_path is not None:
        lines.append(f"{body_indent}[file: {_clean(file_path)}]")
    lines.extend(_choice_lines(choices, " " * len(indent) + "  "))
    return "\n".join(lines)


def _header(frame: Frame) -> str:
    number = f"#{frame.number}" + (" (edited)" if frame.edited else "")
    place = format_when(frame.when, frame.tz)
    if frame.channel_id is not None and frame.direct_to is None:
        place += f" #{frame.channel_id}"
    if frame.thread_of is not None:
        place += f" › #{frame.thread_of}"
    audience = ""
    if frame.direct_to is not None:
        audience = f"(DM to {_clean(frame.direct_to)}) "
    elif frame.private_to is not None:
        verb = "see" if frame.private_to == "you" else "sees"
        audience = f"(only {_clean(frame.private_to)} {verb}) "
    author = _clean(frame.author)
    if frame.reply_to is not None:
        author += f" (reply to #{frame.reply_to})"
    return f"{number} [{place}] {audience}{author}: "


def _choice_lines(choices: Sequence[Choice], indent: str) -> list[str]:
    lines: list[str] = []
    current = ""
    for index, choice in enumerate(choices, start=1):
        item = f"[{index}] {_clean(choice.label)}".replace("\n", " ")
        if current and len(indent) + len(current) + 3 + len(item) > _CHOICES_WIDTH:
            lines.append(indent + current)
            current = ""
        current = f"{current}   {item}" if current else item
    if current:
        lines.append(indent + current)
    return lines


def _clean(text: str) -> str:
    return _CONTROL.sub("\ufffd", text.replace("\r\n", "\n"))
