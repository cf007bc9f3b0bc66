"""One mediasync set-up for a benchmark run: a config file pointing a local folder at a
sandbox, with its own state file, and the command line that syncs it.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from bench.sandbox_process import LOCATION, MEDIASYNC, TOKEN


@dataclass(frozen=True, slots=True)
class Workspace:
    config: Path
    state_dir: Path

    @staticmethod
    def create(
        where: Path,
        media: Path,
        base_url: str,
        concurrency: int = 3,
        max_file_mb: float = 25.0,
    ) -> Workspace:
        where.mkdir(parents=True, exist_ok=True)
        state_dir = where / "state"
        config = where / "mediasync.toml"
        config.write_text(
            f'[remote]\nlocation_id = "{LOCATION}"\nbase_url = "{base_url}"\n'
            f'root_folder = "bench"\n\n'
            f'[local]\npath = "{media}"\n\n'
            f'[sync]\nconcurrency = {concurrency}\nstate_file = "{state_dir / "state.db"}"\n\n'
            f"[rules]\nmax_file_mb = {max_file_mb}\nmax_video_mb = {max_file_mb}\n"
        )
        return Workspace(config, state_dir)

    def forget_state(self) -> None:
        """Start the next sync from nothing, as a first sync of the folder would."""
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def sync_argv(self, *extra: str) -> list[str]:
        return [str(MEDIASYNC), "sync", "-c", str(self.config), *extra]


def sync_env(timings: bool = False, src: Path | None = None) -> dict[str, str]:
    """The environment of a sync. `src` (or BENCH_MEDIASYNC_SRC) runs the mediasync package
    found there (the code before an optimisation, say) with the same sandbox and bench."""
    env = {**os.environ, "MEDIASYNC_TOKEN": TOKEN}
    if timings:
        env["MEDIASYNC_TIMINGS"] = "1"
    if src is not None:
        env["PYTHONPATH"] = str(src)
    elif "BENCH_MEDIASYNC_SRC" in os.environ:
        env["PYTHONPATH"] = os.environ["BENCH_MEDIASYNC_SRC"]
    return env


def summary_line(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if line.startswith("sync:")]
    return lines[-1] if lines else stdout.strip()[-300:]


@dataclass(frozen=True, slots=True)
class Before:
    """The mediasync package as it was at an earlier commit, exported for a before/after run."""

    src: Path
    label: str

    @staticmethod
    def export(rev: str, where: Path) -> Before:
        """`git archive` of the package at `rev` into `where` (needs a git checkout)."""
        root = Path(__file__).resolve().parent.parent
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", rev],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        where.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", commit, "mediasync"],
            capture_output=True,
            check=True,
        )
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(where, filter="data")
        return Before(where, f"commit {commit}")
