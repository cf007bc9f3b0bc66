"""Measurements of one child process (wall time, user + sys CPU, peak RSS) and of a running
process's CPU and memory read from /proc, plus the median that every report is made of.

A child's own rusage comes from `os.wait4` in a small launcher process, so the figures are
that process's alone, never the bench's or another child's.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class ChildRun:
    wall: float
    user: float
    sys: float
    max_rss_mb: float
    returncode: int
    stdout: str
    stderr: str

    @property
    def cpu(self) -> float:
        return self.user + self.sys


# Linux keeps a process's peak RSS across execve, and a child starts from its parent's: a
# child of this (large) bench would report the bench's peak as its own. So each child is
# started by this small launcher (a bare `python -S`, ~8 MB), and its rusage read there.
_LAUNCHER = """
import json, os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(sys.argv[1], "w") as out:
    json.dump([wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss,
               os.waitstatus_to_exitcode(status)], out)
"""


def run_child(
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 900.0,
) -> ChildRun:
    """Run `argv` to its end; its output goes to files so that a pipe never slows it down."""
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.NamedTemporaryFile("r") as report,
    ):
        launcher = [sys.executable, "-S", "-c", _LAUNCHER, report.name, *argv]
        process = subprocess.Popen(launcher, env=env, cwd=cwd, stdout=out, stderr=err)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        wall, user, system, max_rss_kb, returncode = json.loads(report.read())
        out.seek(0)
        err.seek(0)
        return ChildRun(
            wall=wall,
            user=user,
            sys=system,
            max_rss_mb=max_rss_kb / 1024,  # kilobytes on Linux
            returncode=returncode,
            stdout=out.read(),
            stderr=err.read(),
        )


def cpu_seconds(pid: int) -> float:
    """user + sys CPU that process `pid` has used so far (10 ms resolution)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the ")" that ends the command name, utime and stime are fields 12 and 13.
    return (int(fields[11]) + int(fields[12])) / _TICKS


def peak_rss_mb(pid: int) -> float:
    """The highest resident set size process `pid` has had (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
