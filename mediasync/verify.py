"""`mediasync verify`: probe every recorded hosted URL and report what is missing or different.

It reads the state and asks the hosted URLs only; it changes nothing, here or remotely. A file
found missing is restored by the next `sync --remote-check` (or reported, as configured).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from mediasync.models import StateEntry
from mediasync.remote.hosted import Finding, HostedProbe, Problem

CONCURRENCY = 8


def missing_hint(restore_missing: bool) -> str:
    """What becomes of files found missing, under [sync] missing_remote as configured."""
    if restore_missing:
        return (
            'missing files are uploaded again by `mediasync sync --remote-check` ([sync] '
            'missing_remote = "upload")'
        )
    return (
        'missing files are not uploaded again: with [sync] missing_remote = "report", '
        "`mediasync sync --remote-check` only lists them; to send them again, set "
        'missing_remote = "upload" and run it'
    )


@dataclass
class VerifyReport:
    checked: int = 0
    findings: list[tuple[StateEntry, Finding]] = field(default_factory=list)

    def count(self, problem: Problem) -> int:
        return sum(1 for _, f in self.findings if f.problem is problem)

    @property
    def ok(self) -> int:
        return self.checked - len(self.findings)


async def verify_entries(
    entries: Iterable[StateEntry],
    probe: HostedProbe,
    content: bool,
    on_finding: Callable[[StateEntry, Finding], None] = lambda _e, _f: None,
    concurrency: int = CONCURRENCY,
) -> VerifyReport:
    """Probe each entry's URL (its bytes too with `content`); findings in path order."""
    todo = sorted(entries, key=lambda e: e.path)
    report = VerifyReport(checked=len(todo))
    gate = asyncio.Semaphore(concurrency)

    async def one(entry: StateEntry) -> tuple[StateEntry, Finding | None]:
        async with gate:
            if content and entry.sha256 is None:
                finding: Finding | None = Finding(
                    Problem.UNCHECKED, "has no recorded hash to compare with"
                )
            else:
                finding = await probe.probe(entry.url, entry.sha256 if content else None)
        if finding is not None:
            on_finding(entry, finding)
        return entry, finding

    for entry, finding in await asyncio.gather(*(one(e) for e in todo)):
        if finding is not None:
            report.findings.append((entry, finding))
    return report
