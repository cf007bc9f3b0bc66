"""`make bench`: every case of docs/benchmarks.md in one go, three rounds interleaved (each
round runs every measurement once, so a disturbance from other load hits all of them alike),
then medians and ratios written to the file's sections, with the machine they ran on.

    python -m bench.run [--rounds 3] [--skip-rate-limited] [--small] [--before REV]

`--small` shrinks every case (for trying the script out); its figures are not written.
`--before REV` also runs mediasync as it was at commit REV in cases 1 and 2, in the same
rounds, for before/after figures (`make bench` passes the commit before the speed-ups).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.memory import SIZES_MB, MemoryCase
from bench.ratelimited import RateLimitedCase
from bench.report import machine, write_section
from bench.rescan import RescanCase
from bench.throughput import ThroughputCase
from bench.workspace import Before

NOTE = (
    "Measured on a shared 2-core machine: other work may have been running at the same time, "
    "which is why every figure is a median of interleaved runs and ratios come from one run."
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-rate-limited", action="store_true")
    parser.add_argument("--small", action="store_true", help="tiny cases; nothing is written")
    parser.add_argument("--before", metavar="REV", help="also time mediasync at commit REV")
    args = parser.parse_args()
    started = time.perf_counter()
    header = f"Machine: {machine()}.\n\n{NOTE}\n\n"
    with tempfile.TemporaryDirectory(prefix="mediasync-bench-") as tmp:
        work = Path(tmp)
        small = args.small
        before = Before.export(args.before, work / "before") if args.before else None
        say(f"building the cases in {work}")
        throughput = ThroughputCase(
            work / "throughput", files=200 if small else 2000, before=before
        )
        rescan = RescanCase(work / "rescan", files=2000 if small else 100_000, before=before)
        say(f"rescan: first sync of {rescan.files} files took {rescan.build.wall:.1f} s")
        sizes = (10, 20) if small else SIZES_MB
        memory = MemoryCase(work / "memory", sizes)
        limited = None
        if not args.skip_rate_limited:
            limited = RateLimitedCase(work / "ratelimited", files=200 if small else 1000)
        try:
            # The first run of each tool meets a cold page cache and fresh connections: a
            # warm-up of each, not counted, so round 1 compares like with like.
            for tool in throughput.tools:
                say(f"  warm-up {tool}: {throughput.warm_up(tool):.2f} s (not counted)")
            for round_no in range(1, args.rounds + 1):
                say(f"round {round_no} of {args.rounds}")
                # Alternate who goes first, so neither always meets a warmer cache.
                tools = throughput.tools
                for tool in tools if round_no % 2 else tuple(reversed(tools)):
                    run = throughput.run_once(tool)
                    say(f"  throughput {tool}: {run.wall:.2f} s")
                for old in (False, True) if before else (False,):
                    run_r = rescan.run_once(old)
                    who = " (before)" if old else ""
                    say(f"  rescan{who}: {run_r.wall:.2f} s, {run_r.requests} requests")
                for size in sizes:
                    run_m = memory.run_once(size)
                    say(f"  memory {size} MiB: {run_m.max_rss_mb:.1f} MB, {run_m.wall:.2f} s")
                if limited is not None:
                    run_l = limited.run_once()
                    say(f"  rate-limited: {run_l.wall:.1f} s (minimum {run_l.minimum:.1f} s)")
        finally:
            throughput.close()
            rescan.close()
            memory.close()
            if limited is not None:
                limited.close()
        sections = {
            "throughput": "## Cases 1 and 5: throughput and CPU per file\n\n"
            + header
            + throughput.report(),
            "rescan": "## Case 2: no-change rescan\n\n" + header + rescan.report(),
            "memory": "## Case 3: memory on large files\n\n" + header + memory.report(),
        }
        if limited is not None:
            sections["rate-limited"] = (
                "## Case 4: rate-limited bulk upload\n\n" + header + limited.report()
            )
    elapsed = time.perf_counter() - started
    for name, body in sections.items():
        print(f"\n{body}\n")
        if not small:
            write_section(name, f"{body}\n\n`make bench` took {elapsed / 60:.1f} min in all.")
    say(f"done in {elapsed / 60:.1f} min" + ("" if small else "; docs/benchmarks.md updated"))
    return 0


def say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
