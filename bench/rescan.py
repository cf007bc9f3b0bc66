"""Case 2: the no-change rescan. A tree of 100,000 small files is synced once for real (into an
unlimited sandbox, so the state is exactly what a first sync leaves), then `mediasync sync` runs
again with nothing changed: its wall time, the requests it made, files scanned per second, and
the time spent in start-up, scan, state and plan (`MEDIASYNC_TIMINGS=1`).
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.corpus import wide_tree
from bench.measure import median, run_child
from bench.sandbox_process import UNLIMITED, SandboxProcess
from bench.workspace import Before, Workspace, summary_line, sync_env

FILES = 100_000
PHASES = ("startup", "access", "scan", "state", "plan")
_TIMING = re.compile(r"(\w[\w-]*) (\d+\.\d+) s")


@dataclass(frozen=True, slots=True)
class RescanRun:
    wall: float
    cpu: float
    requests: int
    uploads: int
    phases: dict[str, float] = field(default_factory=dict)


class RescanCase:
    def __init__(self, work: Path, files: int = FILES, before: Before | None = None) -> None:
        self.files = files
        self.before = before
        self.before_runs: list[RescanRun] = []
        media = work / "media"
        started = time.perf_counter()
        wide_tree(media, files)
        self.tree_seconds = time.perf_counter() - started
        self.sandbox = SandboxProcess(
            ["--rate-max", str(UNLIMITED), "--daily-limit", str(UNLIMITED)]
        )
        # Concurrency only changes how fast the first sync goes, not the state it leaves.
        self.workspace = Workspace.create(work / "mediasync", media, self.sandbox.base_url, 8)
        self.runs: list[RescanRun] = []
        self.build = run_child(self.workspace.sync_argv(), env=sync_env(), timeout=1800)
        uploads = self.sandbox.stats()["uploads"]
        if self.build.returncode != 0 or uploads != files:
            print(self.build.stdout[-2000:], self.build.stderr[-2000:], file=sys.stderr)
            raise SystemExit(f"rescan: the first sync failed ({uploads} uploads)")
        self.build_summary = summary_line(self.build.stdout)

    def run_once(self, old: bool = False) -> RescanRun:
        """One no-change sync; `old`: by the mediasync of `self.before`."""
        src = self.before.src if old and self.before is not None else None
        before = self.sandbox.stats()
        child = run_child(self.workspace.sync_argv(), env=sync_env(timings=True, src=src))
        after = self.sandbox.stats()
        if child.returncode != 0:
            print(child.stdout[-2000:], child.stderr[-2000:], file=sys.stderr)
            raise SystemExit(f"rescan: exit {child.returncode}")
        phases = {
            name: float(seconds)
            for line in child.stderr.splitlines()
            if line.startswith("timings:")
            for name, seconds in _TIMING.findall(line)
        }
        run = RescanRun(
            child.wall,
            child.cpu,
            int(after["requests_total"]) - int(before["requests_total"]),
            int(after["uploads"]) - int(before["uploads"]),
            phases,
        )
        (self.before_runs if old else self.runs).append(run)
        return run

    def close(self) -> None:
        self.sandbox.stop()

    def report(self) -> str:
        wall = median([r.wall for r in self.runs])
        lines = [
            f"A tree of {self.files:,} files ({-(-self.files // 500)} folders of up to 500 "
            "tiny PNGs) recorded by one real "
            f"first sync ({self.build.wall:.0f} s: {self.build_summary}); then "
            f"{len(self.runs)} runs of `MEDIASYNC_TIMINGS=1 mediasync sync` with nothing changed"
            " (medians).",
            "",
            "| | median |",
            "|---|---|",
            f"| wall time | **{wall:.2f} s** (target <= 2 s) |",
            f"| files scanned per second (whole run) | {self.files / wall:,.0f} |",
            f"| uploads | {median([r.uploads for r in self.runs]):.0f} |",
            f"| requests | {median([r.requests for r in self.runs]):.0f} |",
            f"| CPU (user + sys) | {median([r.cpu for r in self.runs]):.2f} s |",
        ]
        for phase in self._phase_names():
            seconds = median([r.phases[phase] for r in self.runs if phase in r.phases])
            lines.append(f"| {phase} | {seconds:.3f} s |")
        scan = median([r.phases["scan"] for r in self.runs if "scan" in r.phases])
        if scan == scan:  # not NaN: the runs reported their phases
            lines.append(f"| files scanned per second (scan phase) | {self.files / scan:,.0f} |")
        lines += ["", "Every run: " + "; ".join(f"{r.wall:.2f} s" for r in self.runs) + "."]
        if self.before_runs and self.before is not None:
            old = median([r.wall for r in self.before_runs])
            lines += [
                "",
                f"Before and after: mediasync at {self.before.label}, in the same rounds: "
                f"{old:.2f} s wall, {median([r.cpu for r in self.before_runs]):.2f} s CPU, "
                f"{median([r.requests for r in self.before_runs]):.0f} requests "
                f"(runs: {'; '.join(f'{r.wall:.2f} s' for r in self.before_runs)}); "
                f"now {wall:.2f} s.",
            ]
        return "\n".join(lines)

    def _phase_names(self) -> list[str]:
        seen: list[str] = []
        for run in self.runs:
            seen += [name for name in run.phases if name not in seen]
        return seen
