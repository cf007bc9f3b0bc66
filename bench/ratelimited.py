"""Case 4: bulk upload under the rate limit. 1,000 real PNG files synced to a sandbox that allows
100 requests per 10 s; the wall time against the least the limit allows, and the 429s met.

The theoretical minimum: in a rolling window request i (counting from 0) cannot go before
floor(i / rate_max) intervals have passed, so the last of n requests goes no earlier than
floor((n - 1) / rate_max) * interval (requests themselves taken as instant). One run takes
about 100 s, the longest of the cases.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from bench.corpus import png
from bench.measure import median, run_child
from bench.sandbox_process import SandboxProcess
from bench.workspace import Workspace, summary_line, sync_env

FILES = 1000
RATE_MAX = 100
INTERVAL_S = 10.0


@dataclass(frozen=True, slots=True)
class RateLimitedRun:
    wall: float
    requests: int
    throttled: int
    uploads: int
    duplicates: int
    summary: str

    @property
    def minimum(self) -> float:
        return (self.requests - 1) // RATE_MAX * INTERVAL_S


class RateLimitedCase:
    def __init__(self, work: Path, files: int = FILES) -> None:
        self.files = files
        media = work / "media"
        for n in range(files):
            folder = media / f"batch-{n // 100:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"image-{n:04d}.png").write_bytes(png(2048 + n % 4096, n))
        self.sandbox = SandboxProcess(["--rate-max", str(RATE_MAX)])
        self.workspace = Workspace.create(work / "mediasync", media, self.sandbox.base_url)
        self.runs: list[RateLimitedRun] = []

    def run_once(self) -> RateLimitedRun:
        self.sandbox.reset()
        self.workspace.forget_state()
        child = run_child(self.workspace.sync_argv(), env=sync_env())
        stats = self.sandbox.stats()
        if child.returncode != 0:
            print(child.stdout[-2000:], child.stderr[-2000:], file=sys.stderr)
            raise SystemExit(f"rate-limited: exit {child.returncode}")
        run = RateLimitedRun(
            child.wall,
            int(stats["requests_total"]),
            int(stats["rate_limited"]),
            int(stats["uploads"]),
            int(stats["duplicates"]),
            summary_line(child.stdout),
        )
        self.runs.append(run)
        return run

    def close(self) -> None:
        self.sandbox.stop()

    def report(self) -> str:
        lines = [
            f"{self.files} PNG files (2-6 KB) in 10 folders, sandbox limit {RATE_MAX} requests "
            f"per {INTERVAL_S:g} s; {len(self.runs)} runs, interleaved with the other cases.",
            "",
            "| run | wall time | theoretical minimum | over it | requests | 429s | uploads "
            "| duplicates |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for n, r in enumerate(self.runs, 1):
            over = (r.wall / r.minimum - 1) * 100 if r.minimum else 0.0
            lines.append(
                f"| {n} | {r.wall:.1f} s | {r.minimum:.1f} s | {over:+.1f}% | {r.requests} | "
                f"{r.throttled} | {r.uploads} | {r.duplicates} |"
            )
        if self.runs:
            wall = median([r.wall for r in self.runs])
            least = median([r.minimum for r in self.runs])
            lines += [
                "",
                f"**Median: {wall:.1f} s against a minimum of {least:.1f} s "
                f"({(wall / least - 1) * 100 if least else 0.0:+.1f}%)**, "
                f"{median([r.throttled for r in self.runs]):.0f} 429s a run.",
            ]
        return "\n".join(lines)
