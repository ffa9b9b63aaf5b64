"""The console's line syntax: one typed line into one parsed command, nothing more.

Parsing knows nothing of the session (who is present, which messages exist);
`translate` checks the parsed command against the session and builds events.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.command_line import read_command_line

log = logging.getLogger(__name__)

NAME = re.compile(r"[A-Za-z0-9_.-]{1,32}")
RESERVED_NAMES = frozenset({"everyone", "here", "channel"})
LAST = "last"
"""The message reference meaning: the newest message the action can apply to."""
LABEL = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")

MessageRef = int | str
"""A message as a line names it: its number, `last`, or a label given with `/label`."""

_PREFIX = re.compile(r"^([A-Za-z0-9_.-]{1,32})>(?:\s+(.*))?$", re.DOTALL)
# A first word ending in `>` is meant as a speaker, even when it is not a valid name.
_SPEAKER_LIKE = re.compile(r"^([^\s<>]+)>(?:\s|$)")
_DURATION = re.compile(r"^(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?$")
_SHORTCODE = re.compile(r"^:([a-z0-9_+-]+):$")

# The shortcodes people type most; any other `:name:` is kept as written.
SHORTCODES = {
    "thumbsup": "👍",
    "+1": "👍",
    "thumbsdown": "👎",
    "-1": "👎",
    "heart": "❤️",
    "tada": "🎉",
    "smile": "😄",
    "joy": "😂",
    "laughing": "😆",
    "wink": "😉",
    "eyes": "👀",
    "fire": "🔥",
    "clap": "👏",
    "rocket": "🚀",
    "star": "⭐",
    "sparkles": "✨",
    "pray": "🙏",
    "wave": "👋",
    "100": "💯",
    "thinking": "🤔",
    "white_check_mark": "✅",
    "x": "❌",
    "seedling": "🌱",
    "coffee": "☕",
}


class LineError(ValueError):
    """A line the console cannot understand; the message says why."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Say:
    """Post `text` in the current channel."""

    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class RunCommand:
    """Run `/terreau <group> <action> ...`; `text` is what follows the group, as typed."""

    group: str
    action: str
    text: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Reply:
    """Reply to message `target` with `text`."""

    target: MessageRef
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class React:
    """Add (or, with `remove`, take back) a reaction on message `target`."""

    target: MessageRef
    emoji: str
    remove: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Choose:
    """Click choice `choice` (1-based) of message `target`."""

    target: MessageRef
    choice: int


@dataclass(frozen=True, kw_only=True, slots=True)
class PostInThread:
    """Post `text` in the thread of message `target`, opening one if needed."""

    target: MessageRef
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Edit:
    """Edit message `target`."""

    target: MessageRef
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Delete:
    """Delete message `target`."""

    target: MessageRef


@dataclass(frozen=True, kw_only=True, slots=True)
class SwitchChannel:
    """Make `channel` the current channel."""

    channel: str


@dataclass(frozen=True, kw_only=True, slots=True)
class SwitchSpeaker:
    """Make `name` the default speaker."""

    name: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Join:
    """Have `name` join the community, brought by `via` when given."""

    name: str
    via: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Leave:
    """Have `name` leave the community."""

    name: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Label:
    """Give message `target` the name `name`, for later lines to refer to it."""

    name: str
    target: MessageRef


@dataclass(frozen=True, kw_only=True, slots=True)
class Wait:
    """Pause reading until the clock has moved on by `duration`."""

    duration: timedelta


@dataclass(frozen=True, kw_only=True, slots=True)
class Quit:
    """Stop reading input."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ShowHelp:
    """Print the console help."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Nothing:
    """A blank line or a comment."""


MemberAction = Say | RunCommand | Reply | React | Choose | PostInThread | Edit | Delete
SessionAction = (
    SwitchChannel | SwitchSpeaker | Join | Leave | Label | Wait | Quit | ShowHelp | Nothing
)
Action = MemberAction | SessionAction


@dataclass(frozen=True, kw_only=True, slots=True)
class Line:
    """A parsed line: what to do and, for member actions, who explicitly does it."""

    action: Action
    speaker: str | None = None
    body: str = ""


def parse_name(word: str) -> str:
    """Return `word` if it is a valid member name, else raise `LineError`."""
    if NAME.fullmatch(word) is None:
        raise LineError(f"invalid member name {word!r} (letters, digits, _ . -; 1 to 32)")
    if word in RESERVED_NAMES:
        raise LineError(f"{word!r} is reserved and cannot be a member name")
    return word


def parse_duration(text: str) -> timedelta:
    """Parse `2h`, `30m`, `3d`, `45s` or a combination such as `1h30m`."""
    match = _DURATION.fullmatch(text)
    if not text or match is None:
        raise LineError(f"invalid duration {text!r} (examples: 45s, 30m, 2h, 1h30m, 3d)")
    days, hours, minutes, seconds = (int(part) if part else 0 for part in match.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if duration <= timedelta(0):
        raise LineError(f"duration {text!r} must be longer than zero")
    return duration


def parse_emoji(text: str) -> str:
    """Turn a known `:shortcode:` into its emoji; keep anything else as typed."""
    match = _SHORTCODE.fullmatch(text)
    if match is not None:
        return SHORTCODES.get(match.group(1), text)
    return text


def parse_line(text: str, *, current: str = "you") -> Line:
    """Parse one input line; raise `LineError` when it makes no sense.

    `current` is the default speaker, named in the hint for a line whose
    speaker is not a valid name.
    """
    stripped = text.strip()
    if not stripped or stripped.startswith("#"):
        return Line(action=Nothing())
    speaker: str | None = None
    body = stripped
    prefix = _PREFIX.match(stripped)
    if prefix is None and (wrong := _SPEAKER_LIKE.match(stripped)) is not None:
        raise LineError(
            f"{wrong.group(1)!r} is not a member name (letters, digits, _ . -; 1 to 32), "
            f"so nothing was posted; to post this line as text, name its speaker first: "
            f"{current}> {stripped}"
        )
    if prefix is not None:
        speaker = parse_name(prefix.group(1))
        body = (prefix.group(2) or "").strip()
        if not body:
            raise LineError(f"{speaker}> says nothing")
    action = _parse_body(body)
    if speaker is not None and not isinstance(action, MemberAction):
        raise LineError(f"'{speaker}>' cannot prefix {body.split()[0]}")
    return Line(action=action, speaker=speaker, body=body)


def _parse_body(body: str) -> Action:
    if not body.startswith("/"):
        return Say(text=body)
    word, _, rest = body.partition(" ")
    rest = rest.strip()
    parser = _COMMANDS.get(word.lower())
    if parser is None:
        raise LineError(f"unknown command {word} (type /help)")
    return parser(word, rest)


def _terreau(word: str, rest: str) -> Action:
    del word  # the grammar is the core's, shared by every text platform
    line = read_command_line(rest)
    return RunCommand(group=line.group, action=line.action, text=line.text)


def parse_ref(word: str, text: str) -> MessageRef:
    """Read a message reference: `12` or `#12`, `last`, or a label such as `question`."""
    ref = text.removeprefix("#")
    if ref.isdecimal() and ref.isascii():
        return int(ref)
    if LABEL.fullmatch(ref):
        return ref
    raise LineError(
        f"{word}: {text!r} is not a message (a number such as 12, `last`, or a /label name)"
    )


def _ref_and_text(word: str, rest: str) -> tuple[MessageRef, str]:
    first, _, text = rest.partition(" ")
    if not first:
        raise LineError(f"{word} needs a message (a number such as 12, `last`, or a /label name)")
    target = parse_ref(word, first)
    if not text.strip():
        raise LineError(f"{word} {first} needs some text")
    return target, text.strip()


def _single(word: str, rest: str, what: str) -> str:
    parts = rest.split()
    if len(parts) != 1:
        raise LineError(f"{word} takes exactly one {what}")
    return parts[0]


def _reply(word: str, rest: str) -> Action:
    target, text = _ref_and_text(word, rest)
    return Reply(target=target, text=text)


def _react(word: str, rest: str) -> Action:
    parts = rest.split()
    if len(parts) != 2:
        raise LineError(f"{word} takes a message number and one emoji")
    return React(
        target=parse_ref(word, parts[0]),
        emoji=parse_emoji(parts[1]),
        remove=word.lower() == "/unreact",
    )


def _choose(word: str, rest: str) -> Action:
    parts = rest.split()
    if len(parts) != 2 or not parts[1].isdecimal() or not parts[1].isascii():
        raise LineError(f"{word} takes a message number and a choice number")
    choice = int(parts[1])
    if choice < 1:
        raise LineError(f"{word}: choices are numbered from 1")
    return Choose(target=parse_ref(word, parts[0]), choice=choice)


def _thread(word: str, rest: str) -> Action:
    target, text = _ref_and_text(word, rest)
    return PostInThread(target=target, text=text)


def _edit(word: str, rest: str) -> Action:
    target, text = _ref_and_text(word, rest)
    return Edit(target=target, text=text)


def _delete(word: str, rest: str) -> Action:
    return Delete(target=parse_ref(word, _single(word, rest, "message")))


def _label(word: str, rest: str) -> Action:
    parts = rest.split()
    if len(parts) != 2:
        raise LineError(f"{word} takes a name and a message, e.g. {word} question last")
    name = parts[0].removeprefix("#")
    if LABEL.fullmatch(name) is None or name == LAST:
        raise LineError(
            f"{word}: {parts[0]!r} cannot be a label (a letter, then letters, digits, _ or -; "
            f"not `{LAST}`)"
        )
    return Label(name=name, target=parse_ref(word, parts[1]))


def _in(word: str, rest: str) -> Action:
    return SwitchChannel(channel=_single(word, rest, "channel").removeprefix("#"))


def _as(word: str, rest: str) -> Action:
    return SwitchSpeaker(name=parse_name(_single(word, rest, "member name")))


def _join(word: str, rest: str) -> Action:
    parts = rest.split()
    if len(parts) == 3 and parts[1] == "via":
        return Join(name=parse_name(parts[0]), via=parse_name(parts[2].removeprefix("@")))
    return Join(name=parse_name(_single(word, rest, "member name (or: name via member)")))


def _leave(word: str, rest: str) -> Action:
    return Leave(name=parse_name(_single(word, rest, "member name")))


def _wait(word: str, rest: str) -> Action:
    return Wait(duration=parse_duration(_single(word, rest, "duration")))


_Parser = Callable[[str, str], Action]


def _bare(action: Action) -> _Parser:
    def parse(word: str, rest: str) -> Action:
        if rest:
            raise LineError(f"{word} takes no arguments")
        return action

    return parse


_COMMANDS: dict[str, _Parser] = {
    "/terreau": _terreau,
    "/reply": _reply,
    "/react": _react,
    "/unreact": _react,
    "/choose": _choose,
    "/thread": _thread,
    "/edit": _edit,
    "/delete": _delete,
    "/in": _in,
    "/as": _as,
    "/join": _join,
    "/leave": _leave,
    "/label": _label,
    "/wait": _wait,
    "/quit": _bare(Quit()),
    "/help": _bare(ShowHelp()),
}
