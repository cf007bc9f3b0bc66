"""Where the time of case 1 goes: `mediasync sync` of the 2,000 small files, and the sandbox
serving it, each sampled with py-spy; prints the busiest functions of each (idle waits left
out), as docs/benchmarks.md quotes them.

    python -m bench.profile [--files 2000] [--top 30]

Needs py-spy (`pip install -e '.[bench]'`, which `make profile` does).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.throughput import ThroughputCase
from bench.workspace import sync_env

# Samples of threads waiting for work, and of the loop waiting in select, are not work.
IDLE = ("_worker (concurrent/futures/thread.py:81)", "EpollSelector.select")


def busiest(raw: Path, top: int) -> list[str]:
    """py-spy's raw (collapsed) stacks → 'share  function (file)' lines, inclusive time."""
    inclusive: collections.Counter[str] = collections.Counter()
    busy = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if frames[-1].startswith(IDLE) or (
            "Thread._bootstrap" in stack and "_WorkItem.run" not in stack
        ):
            continue
        busy += int(count)
        for name in {frame.split(":")[0] for frame in frames}:
            inclusive[name] += int(count)
    return [f"{n / busy * 100:5.1f}%  {name})" for name, n in inclusive.most_common(top)]


def record(spy: str, out: Path) -> list[str]:
    """py-spy sampling 250 times a second into `out`, as collapsed stacks."""
    return [spy, "record", "-r", "250", "-f", "raw", "-o", str(out)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if spy is None:
        raise SystemExit("py-spy is not installed: make profile (or pip install -e '.[bench]')")
    with tempfile.TemporaryDirectory(prefix="mediasync-profile-") as tmp:
        work = Path(tmp)
        case = ThroughputCase(work, files=args.files)
        try:
            client_raw, sandbox_raw = work / "client.txt", work / "sandbox.txt"
            server = subprocess.Popen(
                [*record(spy, sandbox_raw), "--pid", str(case.sandbox.pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1.0)  # py-spy attaches
            subprocess.run(
                [*record(spy, client_raw), "--", *case.workspace.sync_argv()],
                env=sync_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=True,
            )
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
        finally:
            case.close()
        for title, raw in (("mediasync sync", client_raw), ("sandbox", sandbox_raw)):
            print(f"\n{title}: share of busy samples (inclusive)")
            print("\n".join(busiest(raw, args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
