"""Where the time of case 1 goes: `mediasync sync` of the 2,000 small files, and the sandbox
serving it, each sampled with py-spy; prints the busiest functions of each (idle waits left
out), as docs/benchmarks.md quotes them.

    python -m bench.profile [--files 2000] [--top 30] [--write]

`--write` also puts the busiest functions of each side in docs/benchmarks.md (section
"profile"), which `make bench` does. Needs py-spy (`pip install -e '.[bench]'`, which
`make profile` and `make bench` do).
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

from bench.report import machine, write_section
from bench.throughput import ThroughputCase
from bench.workspace import sync_env

# Samples of threads waiting for work, and of the loop waiting in select, are not work.
IDLE = ("_worker (concurrent/futures/thread.py:81)", "EpollSelector.select")


# Frames every busy sample passes through (the interpreter, the event loop, the CLI's entry):
# true of everything, so they say nothing of where the time goes.
FRAMEWORK = ("asyncio/", "click/", "<frozen importlib", "<module>", "runpy.py", "mediasync/cli.py")


def busiest(raw: Path, top: int, skip_framework: bool = False) -> list[str]:
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
            if not (skip_framework and any(part in name for part in FRAMEWORK)):
                inclusive[name] += int(count)
    return [f"{n / busy * 100:5.1f}%  {name})" for name, n in inclusive.most_common(top)]


def section(client_raw: Path, sandbox_raw: Path, files: int, top: int) -> str:
    lines = [
        "## Where the time of case 1 goes (py-spy)",
        "",
        f"Machine: {machine()}.",
        "",
        f"`mediasync sync` of the {files} files of case 1, and the sandbox serving it, sampled "
        "250 times a second (`make profile`). Each line: the share of the process's busy "
        "samples (idle waits left out) spent in that function and what it calls; the event "
        "loop and the CLI's entry, under every sample, are left out.",
    ]
    for title, raw in (("mediasync sync", client_raw), ("sandbox", sandbox_raw)):
        lines += ["", f"{title}:", "", "```", *busiest(raw, top, skip_framework=True), "```"]
    return "\n".join(lines)


def record(spy: str, out: Path) -> list[str]:
    """py-spy sampling 250 times a second into `out`, as collapsed stacks."""
    return [spy, "record", "-r", "250", "-f", "raw", "-o", str(out)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
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
        if args.write:
            write_section("profile", section(client_raw, sandbox_raw, args.files, 25))
    return 0


if __name__ == "__main__":
    sys.exit(main())
