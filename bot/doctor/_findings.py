"""What `terreau doctor` found: one line per check, ok or a problem with its fix.

A finding names a prompt of `prompts/<lang>/doctor.toml` and its variables, never
a sentence, so the same checks read in the operator's language. `Words` stands
for a list of labels (permission names, what a scope is for) rendered and joined
in that language too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

Status = Literal["ok", "problem", "note"]


@dataclass(frozen=True, slots=True)
class Words:
    """Labels (keys of `doctor.labels`) shown joined in the reader's language."""

    keys: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """One check's outcome in one section (the database, a platform, a community)."""

    section: str
    status: Status
    key: str
    variables: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Findings:
    """Findings of one section, added in the order they were checked."""

    section: str
    found: list[Finding] = field(default_factory=list)

    def ok(self, key: str, **variables: object) -> None:
        """Record a check that passed."""
        self.found.append(Finding(section=self.section, status="ok", key=key, variables=variables))

    def problem(self, key: str, **variables: object) -> None:
        """Record something to fix before Terreau can work as configured."""
        self.found.append(
            Finding(section=self.section, status="problem", key=key, variables=variables)
        )

    def note(self, key: str, **variables: object) -> None:
        """Record something worth knowing that does not stop Terreau."""
        self.found.append(
            Finding(section=self.section, status="note", key=key, variables=variables)
        )


class PlatformProbe(Protocol):
    """One platform's checks, made with the real tokens against the real platform."""

    async def examine(self) -> Sequence[Finding]:
        """Connect, check what the config needs, and return what was found."""


def healthy(findings: Sequence[Finding]) -> bool:
    """Return whether nothing needs fixing."""
    return all(finding.status != "problem" for finding in findings)
