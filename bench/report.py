"""docs/benchmarks.md: each benchmark script owns one section and rewrites only that one.

A section sits between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`; the rest of the file
(other scripts' sections, text written by hand) is left as it is.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
TITLE = "# Benchmarks\n\nWritten by the scripts in bench/ (`make bench`); each owns one section.\n"


def machine() -> str:
    """One line naming the machine a figure was measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        ram = f", {memory:.0f} GiB"
    except (ValueError, OSError):
        ram = ""
    return (
        f"{cpu}, {os.cpu_count()} cores{ram}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; commit {_commit()}"
    )


def write_section(name: str, body: str, doc: Path = DOC) -> None:
    """Replace section `name` of `doc` with `body` (markdown), or append it."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.strip()}\n{end}"
    text = doc.read_text(encoding="utf-8") if doc.exists() else TITLE
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=DOC.parent.parent,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return "unknown"
    return out.stdout.strip() or "unknown"
