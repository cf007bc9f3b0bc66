"""Case 3: memory while uploading one large file (100 MB, 500 MB, 1 GB; limits raised on both
sides): the peak RSS of the `mediasync sync` process (its own rusage), which must stay flat
across the sizes. The sandbox keeps blobs on disk (--data), so neither side holds a whole file.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from bench.corpus import write_large_wav
from bench.measure import median, run_child
from bench.sandbox_process import UNLIMITED, SandboxProcess
from bench.workspace import Workspace, sync_env

MIB = 1024 * 1024
SIZES_MB = (100, 500, 1024)
LIMIT_MB = 2048


@dataclass(frozen=True, slots=True)
class MemoryRun:
    size_mb: int
    wall: float
    cpu: float
    max_rss_mb: float


class MemoryCase:
    def __init__(self, work: Path, sizes_mb: tuple[int, ...] = SIZES_MB) -> None:
        self.sizes_mb = sizes_mb
        self.sandbox = SandboxProcess(
            [
                "--rate-max",
                str(UNLIMITED),
                "--daily-limit",
                str(UNLIMITED),
                "--data",
                str(work / "sandbox-data"),
                "--max-file-mb",
                str(LIMIT_MB),
                "--max-video-mb",
                str(LIMIT_MB),
            ]
        )
        self.workspaces: dict[int, Workspace] = {}
        for size in sizes_mb:
            media = work / f"media-{size}"
            write_large_wav(media / f"recording-{size}mb.wav", size * MIB, seed=size)
            self.workspaces[size] = Workspace.create(
                work / f"mediasync-{size}", media, self.sandbox.base_url, 3, LIMIT_MB
            )
        self.runs: list[MemoryRun] = []

    def run_once(self, size_mb: int) -> MemoryRun:
        self.sandbox.reset()
        workspace = self.workspaces[size_mb]
        workspace.forget_state()
        child = run_child(workspace.sync_argv(), env=sync_env())
        uploads = self.sandbox.stats()["uploads"]
        if child.returncode != 0 or uploads != 1:
            print(child.stdout[-2000:], child.stderr[-2000:], file=sys.stderr)
            raise SystemExit(f"memory {size_mb} MB: exit {child.returncode}, {uploads} uploads")
        run = MemoryRun(size_mb, child.wall, child.cpu, child.max_rss_mb)
        self.runs.append(run)
        return run

    def close(self) -> None:
        self.sandbox_peak_mb = self.sandbox.peak_rss_mb()
        self.sandbox.stop()

    def report(self) -> str:
        lines = [
            f"One WAV file per run, uploaded by `mediasync sync` to a sandbox storing blobs on "
            f"disk; {len(self.runs) // max(1, len(self.sizes_mb))} runs per size, interleaved "
            "(medians).",
            "",
            "| file | peak RSS of mediasync | wall time | throughput | CPU (user + sys) |",
            "|---|---|---|---|---|",
        ]
        peaks = []
        for size in self.sizes_mb:
            runs = [r for r in self.runs if r.size_mb == size]
            peak = median([r.max_rss_mb for r in runs])
            wall = median([r.wall for r in runs])
            peaks.append(peak)
            lines.append(
                f"| {size} MiB | **{peak:.1f} MB** | {wall:.2f} s | {size / wall:.0f} MiB/s | "
                f"{median([r.cpu for r in runs]):.2f} s |"
            )
        spread = max(peaks) - min(peaks)
        lines += [
            "",
            f"Peak RSS spread across sizes: {spread:.1f} MB (target: <= 100 MB and flat). "
            f"The sandbox's own peak RSS over all these uploads: {self.sandbox_peak_mb:.0f} MB.",
        ]
        return "\n".join(lines)
