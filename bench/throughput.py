"""Cases 1 and 5: 2,000 small real-format files (20-200 KB, nested folders) uploaded with no
rate limit, `mediasync sync` against the ceiling (bench/ceiling.py) at the same concurrency,
both against one sandbox, reset before each run. Reports wall time, the client's user + sys CPU
per file, and the sandbox's CPU per upload (read from /proc), to show the server is not the
bottleneck.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from bench.corpus import small_tree
from bench.measure import ChildRun, median, run_child
from bench.sandbox_process import TOKEN, UNLIMITED, SandboxProcess
from bench.workspace import Before, Workspace, summary_line, sync_env

FILES = 2000
CONCURRENCY = 3
TOOLS = ("ceiling", "mediasync")
SANDBOX_ARGS = ["--rate-max", str(UNLIMITED), "--daily-limit", str(UNLIMITED)]


@dataclass(frozen=True, slots=True)
class UploadRun:
    tool: str
    wall: float
    client_cpu: float
    client_rss_mb: float
    sandbox_cpu: float
    uploads: int
    requests: int

    @property
    def cpu_per_file_ms(self) -> float:
        return self.client_cpu / max(1, self.uploads) * 1000

    @property
    def sandbox_cpu_per_upload_ms(self) -> float:
        return self.sandbox_cpu / max(1, self.uploads) * 1000


class ThroughputCase:
    def __init__(
        self,
        work: Path,
        files: int = FILES,
        concurrency: int = CONCURRENCY,
        before: Before | None = None,
    ) -> None:
        self.files = files
        self.before = before
        # "before": mediasync as it was at an earlier commit, for the before/after figures.
        self.tools = TOOLS if before is None else (*TOOLS, "before")
        self.concurrency = concurrency
        self.media = work / "media"
        self.bytes = small_tree(self.media, files)
        self.sandbox = SandboxProcess(SANDBOX_ARGS)
        self.workspace = Workspace.create(
            work / "mediasync", self.media, self.sandbox.base_url, concurrency
        )
        self.runs: list[UploadRun] = []
        # Runs in which mediasync found the disk slow and moved file access to threads.
        self.threaded_runs = 0

    def run_once(self, tool: str) -> UploadRun:
        self.sandbox.reset()
        self.workspace.forget_state()
        before = self.sandbox.cpu()
        child = self._run(tool)
        sandbox_cpu = self.sandbox.cpu() - before
        stats = self.sandbox.stats()
        if child.returncode != 0 or stats["uploads"] != self.files:
            print(child.stdout[-2000:], child.stderr[-2000:], file=sys.stderr)
            raise SystemExit(f"{tool}: exit {child.returncode}, {stats['uploads']} uploads")
        run = UploadRun(
            tool,
            child.wall,
            child.cpu,
            child.max_rss_mb,
            sandbox_cpu,
            int(stats["uploads"]),
            int(stats["requests_total"]),
        )
        self.runs.append(run)
        return run

    def _run(self, tool: str) -> ChildRun:
        if tool == "ceiling":
            argv = [
                sys.executable,
                "-m",
                "bench.ceiling",
                self.sandbox.base_url,
                TOKEN,
                str(self.media),
                "--concurrency",
                str(self.concurrency),
            ]
            return run_child(argv, cwd=Path(__file__).resolve().parent.parent)
        if tool == "before":
            assert self.before is not None
            return run_child(self.workspace.sync_argv(), env=sync_env(src=self.before.src))
        child = run_child(self.workspace.sync_argv(), env=sync_env(timings=True))
        self.last_summary = summary_line(child.stdout)
        self.last_timings = child.stderr.strip()
        if "disk access in threads" in child.stderr:
            self.threaded_runs += 1
        return child

    def close(self) -> None:
        self.sandbox.stop()

    def warm_up(self, tool: str) -> float:
        """One run of `tool` that is not kept; its wall time."""
        run = self.run_once(tool)
        self.runs.remove(run)
        if tool == "mediasync":
            self.threaded_runs = 0
        return run.wall

    def round_ratios(self) -> list[float]:
        """mediasync / ceiling wall time within each round (runs are kept in round order)."""
        per_round = len(self.tools)
        ratios = []
        for start in range(0, len(self.runs) - per_round + 1, per_round):
            by_tool = {r.tool: r.wall for r in self.runs[start : start + per_round]}
            ratios.append(by_tool["mediasync"] / by_tool["ceiling"])
        return ratios

    def ratio(self) -> float:
        return median(self.round_ratios())

    def of(self, tool: str) -> list[UploadRun]:
        return [r for r in self.runs if r.tool == tool]

    def report(self) -> str:
        ceiling, ours = self.of("ceiling"), self.of("mediasync")
        wall_c, wall_m = median([r.wall for r in ceiling]), median([r.wall for r in ours])
        lines = [
            f"{self.files} files, {self.bytes / 2**20:.0f} MiB in all, concurrency "
            f"{self.concurrency}, sandbox without rate limit; {len(ours)} runs of each tool, "
            "interleaved (medians).",
            "",
            "| | ceiling | mediasync sync |",
            "|---|---|---|",
            f"| wall time | {wall_c:.2f} s | {wall_m:.2f} s |",
            f"| files per second | {self.files / wall_c:.0f} | {self.files / wall_m:.0f} |",
            "| client CPU per file (user + sys) | "
            f"{median([r.cpu_per_file_ms for r in ceiling]):.2f} ms | "
            f"{median([r.cpu_per_file_ms for r in ours]):.2f} ms |",
            f"| client peak RSS | {median([r.client_rss_mb for r in ceiling]):.0f} MB | "
            f"{median([r.client_rss_mb for r in ours]):.0f} MB |",
            "| sandbox CPU per upload | "
            f"{median([r.sandbox_cpu_per_upload_ms for r in ceiling]):.2f} ms | "
            f"{median([r.sandbox_cpu_per_upload_ms for r in ours]):.2f} ms |",
            f"| requests | {median([r.requests for r in ceiling]):.0f} | "
            f"{median([r.requests for r in ours]):.0f} |",
            "",
            f"**Ratio mediasync / ceiling (wall time): {self.ratio():.2f}x** (target <= 1.25x): "
            "the median of each round's own ratio, both tools run back to back; per round: "
            + ", ".join(f"{r:.2f}x" for r in self.round_ratios())
            + f". The ratio of the medians above is {wall_m / wall_c:.2f}x.",
            "",
            "Every run: " + "; ".join(f"{r.tool} {r.wall:.2f} s" for r in self.runs) + ". "
            f"In {self.threaded_runs} of the {len(ours)} mediasync runs, file calls were slow "
            "enough (other load) that it moved file access to threads for the rest of the run.",
        ]
        before = self.of("before")
        if before and self.before is not None:
            wall_b = median([r.wall for r in before])
            lines += [
                "",
                f"Before and after: mediasync at {self.before.label} ran in the same rounds, "
                f"against the same sandbox: {wall_b:.2f} s wall "
                f"({wall_b / wall_c:.2f}x the ceiling), "
                f"{median([r.cpu_per_file_ms for r in before]):.2f} ms of client CPU per file, "
                f"{median([r.sandbox_cpu_per_upload_ms for r in before]):.2f} ms of sandbox "
                f"CPU per upload; now {wall_m:.2f} s ({wall_b / wall_m:.2f}x faster).",
            ]
        return "\n".join(lines)
