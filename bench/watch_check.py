"""`make watch-check`: a real `mediasync watch` process against a real sandbox process, driven
the way a user drives a folder, then judged from the sandbox's own records.

    python -m bench.watch_check [--keep DIR] [--latency-files 200]

Phases (each prints PASS or FAIL with its figures):
  burst    50 files created, 10 edited, 5 renamed and 5 deleted in quick succession: the library
           ends equal to the folder (names, folders, bytes served) and each change was made once
  chunks   a file written in 5 chunks a second apart is uploaded once, with its final bytes
  editor   an editor-style save (temp file renamed over the original): the new copy exists
           before the old one is deleted, and no temporary file is ever uploaded
  latency  200 files written one by one: time from a file's last write to its upload being
           committed (the daemon's "uploaded" log line), p50 and p95, against settle + 1 s;
           written to docs/benchmarks.md
  sigterm  SIGTERM while uploads are in flight: exit 0 within the grace period, nothing left
           half-done, no duplicate
  lock     a `sync` beside a running `watch` exits 5 at once; after `kill -9` of the watch the
           next run is not blocked by its lock

The sandbox keeps the real default limit (100 requests per 10 s). Everything is on loopback.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.chaos import LOCATION, TOKEN, SandboxProcess, find_mediasync, make_png, require_loopback
from bench.report import machine, write_section

ROOT_FOLDER = "watched"
SETTLE_S = 2.0
GRACE_S = 10.0
SETTLED_WITHIN_S = 180.0


@dataclass
class Record:
    id: str
    kind: str
    name: str
    parent: str | None
    created: float
    updated: float
    active: bool


class Library:
    """The sandbox's records, read from its data folder (no request, no rate budget spent)."""

    def __init__(self, data: Path, base_url: str) -> None:
        self.path = data / "library.json"
        self.base_url = base_url

    def records(self) -> list[Record]:
        if not self.path.exists():
            return []
        raw = json.loads(self.path.read_text(encoding="utf-8"))["records"]
        return [
            Record(
                r["id"],
                r["kind"],
                r["name"],
                r["parentId"],
                r["createdAt"],
                r["updatedAt"],
                r["status"] == "active",
            )
            for r in raw
        ]

    def live_files(self) -> dict[str, Record]:
        """Live files under the root folder, by their path below it."""
        records = self.records()
        by_id = {r.id: r for r in records}

        def path_of(record: Record) -> str | None:
            parts = [record.name]
            parent = record.parent
            while parent is not None:
                folder = by_id[parent]
                if not folder.active:
                    return None
                parts.append(folder.name)
                parent = folder.parent
            if parts[-1] != ROOT_FOLDER or len(parts) < 2:
                return None
            return "/".join(reversed(parts[:-1]))

        live: dict[str, Record] = {}
        for record in records:
            if record.kind == "file" and record.active and (path := path_of(record)):
                if path in live:
                    live[path + " (duplicate)"] = record
                else:
                    live[path] = record
        return live


class Watch:
    """One `mediasync watch --log-format json` process and the events it has logged."""

    def __init__(self, mediasync: str, config: Path, log: Path, env: dict[str, str]) -> None:
        self.log = log
        self._read = 0
        self.events: list[dict[str, Any]] = []
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [mediasync, "watch", "-c", str(config), "--log-format", "json"],
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
                env=env,
            )

    def poll_events(self) -> list[dict[str, Any]]:
        with self.log.open("rb") as handle:
            handle.seek(self._read)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]
        self._read += len(complete)
        for line in complete.decode("utf-8", "replace").splitlines():
            if line.startswith("{"):
                self.events.append(json.loads(line))
        return self.events

    def wait_for(self, test: Callable[[list[dict[str, Any]]], bool], within: float) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if test(self.poll_events()):
                return True
            if self.proc.poll() is not None:
                return test(self.poll_events())
            time.sleep(0.05)
        return False

    def uploaded(self, path: str) -> list[dict[str, Any]]:
        return [e for e in self.poll_events() if e["event"] == "uploaded" and e["path"] == path]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def local_files(media: Path) -> dict[str, str]:
    return {
        p.relative_to(media).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in media.rglob("*")
        if p.is_file() and ".mediasync" not in p.parts and not p.name.startswith(".")
    }


def fetch(url: str) -> bytes:
    require_loopback(url)
    with urllib.request.urlopen(url, timeout=30) as response:
        return bytes(response.read())


def equal_to_folder(media: Path, library: Library) -> str | None:
    """None when the library holds exactly the folder's files with their bytes; else why not."""
    local = local_files(media)
    remote = library.live_files()
    if set(local) != set(remote):
        missing = sorted(set(local) - set(remote))[:5]
        extra = sorted(set(remote) - set(local))[:5]
        return f"missing remotely {missing}, extra remotely {extra}"
    for path, record in remote.items():
        url = f"{library.base_url}/hosted/{LOCATION}/media/{record.id}.{path.rsplit('.', 1)[-1]}"
        if hashlib.sha256(fetch(url)).hexdigest() != local[path]:
            return f"{path}: the hosted bytes differ from the local file"
    return None


def wait_equal(media: Path, library: Library, within: float = SETTLED_WITHIN_S) -> str | None:
    """Wait until the library equals the folder and stays so for a settle window and a bit."""
    deadline = time.monotonic() + within
    why: str | None = "never compared"
    while time.monotonic() < deadline:
        why = equal_to_folder(media, library)
        if why is None:
            time.sleep(SETTLE_S + 1.0)
            why = equal_to_folder(media, library)
            if why is None:
                return None
        time.sleep(0.25)
    return why


def changes_since(library: Library, since: float) -> tuple[list[Record], list[Record]]:
    """Files uploaded and files deleted at or after `since` (the sandbox's clock is wall time)."""
    files = [r for r in library.records() if r.kind == "file"]
    uploads = [r for r in files if r.created >= since]
    deletes = [r for r in files if not r.active and r.updated >= since]
    return uploads, deletes


def pending_intents(state: Path) -> int:
    with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT count(*) FROM intents").fetchone()[0])


class Check:
    def __init__(self) -> None:
        self.results: list[tuple[str, bool, str]] = []

    def report(self, phase: str, ok: bool, detail: str) -> None:
        self.results.append((phase, ok, detail))
        print(f"{phase:8} {'PASS' if ok else 'FAIL'}  {detail}", flush=True)


@dataclass
class Setup:
    mediasync: str
    work: Path
    media: Path
    config: Path
    env: dict[str, str]
    library: Library
    rng: random.Random

    def watch(self, label: str) -> Watch:
        return Watch(self.mediasync, self.config, self.work / f"watch-{label}.log", self.env)

    def write(self, rel: str, data: bytes) -> float:
        path = self.media / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return time.time()

    def png(self, label: str) -> bytes:
        return make_png(self.rng, label)


def phase_burst(s: Setup, check: Check) -> None:
    old = [f"old/pic-{i:02d}.png" for i in range(20)]
    since = time.time()
    for i in range(50):
        s.write(f"new/batch-{i // 10}/img-{i:02d}.png", s.png(f"new {i}"))
    for name in old[:10]:
        s.write(name, s.png(f"edit {name}"))
    for i, name in enumerate(old[10:15]):
        target = s.media / "renamed" / f"moved-{i}.png"
        target.parent.mkdir(exist_ok=True)
        os.replace(s.media / name, target)
    for name in old[15:]:
        (s.media / name).unlink()
    why = wait_equal(s.media, s.library)
    uploads, deletes = changes_since(s.library, since)
    ok = why is None and len(uploads) == 65 and len(deletes) == 20
    check.report(
        "burst",
        ok,
        f"{len(uploads)} uploads (want 65: 50 new + 10 edits + 5 renames), {len(deletes)} "
        f"deletes (want 20: 10 old copies + 5 renamed away + 5 removed); "
        f"{'library equals folder' if why is None else why}",
    )


def phase_chunks(s: Setup, check: Check) -> None:
    data = s.png("written slowly")
    since = time.time()
    with (s.media / "slow.png").open("wb") as handle:
        for i in range(5):
            handle.write(data[i * len(data) // 5 : (i + 1) * len(data) // 5])
            handle.flush()
            if i < 4:
                time.sleep(1.0)
    why = wait_equal(s.media, s.library)
    uploads, _ = changes_since(s.library, since)
    names = [u.name for u in uploads]
    ok = why is None and names == ["slow.png"]
    check.report("chunks", ok, f"uploads since the first chunk: {names}; {why or 'bytes match'}")


def phase_editor(s: Setup, check: Check) -> None:
    before = s.library.live_files()["page.png"]
    since = time.time()
    swap = s.media / ".page.png.swp"
    swap.write_bytes(b"vim swap")
    temp = s.media / ".page.png.tmp"
    temp.write_bytes(s.png("saved by an editor"))
    os.replace(temp, s.media / "page.png")
    swap.unlink()
    why = wait_equal(s.media, s.library)
    uploads, deletes = changes_since(s.library, since)
    after = s.library.live_files().get("page.png")
    old = next((d for d in deletes if d.id == before.id), None)
    gapless = after is not None and old is not None and after.created <= old.updated
    ok = why is None and gapless and [u.name for u in uploads] == ["page.png"]
    detail = (
        f"new copy stored {old.updated - after.created:.3f} s before the old one was deleted"
        if gapless and after is not None and old is not None
        else "the old copy was deleted before the new one was stored, or never"
    )
    check.report("editor", ok, f"{detail}; uploads {[u.name for u in uploads]}; {why or 'ok'}")


def phase_latency(s: Setup, check: Check, watch: Watch, count: int) -> float | None:
    written: dict[str, float] = {}
    for i in range(count):
        rel = f"latency/file-{i:03d}.png"
        written[rel] = s.write(rel, s.png(f"latency {i}"))
        time.sleep(0.2)  # 5 files a second: well under the 100 requests per 10 s
    done = watch.wait_for(
        lambda events: {e.get("path") for e in events if e["event"] == "uploaded"} >= set(written),
        SETTLED_WITHIN_S,
    )
    latencies = []
    for rel, at in written.items():
        events = watch.uploaded(rel)
        if events:
            committed = datetime.fromisoformat(events[-1]["ts"]).timestamp()
            latencies.append(committed - at)
    if not latencies:
        check.report("latency", False, "no upload was logged")
        return None
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    ok = done and len(latencies) == count and p95 <= SETTLE_S + 1.0
    check.report(
        "latency",
        ok,
        f"{len(latencies)}/{count} files; last write → upload committed: p50 {p50:.2f} s, "
        f"p95 {p95:.2f} s, max {max(latencies):.2f} s (target p95 ≤ settle {SETTLE_S:g} s + 1 s)",
    )
    write_section(
        "watch-latency",
        "## Watch latency (`make watch-check`)\n\n"
        f"Machine: {machine()}\n\n"
        f"A real `mediasync watch` against the sandbox (100 requests per 10 s), settle window "
        f"{SETTLE_S:g} s; {count} PNG files written one every 0.2 s. Latency is from the end of "
        "a file's last write to the daemon's log line saying its upload was committed to the "
        "state.\n\n"
        "| files | p50 | p95 | max | target p95 |\n|---|---|---|---|---|\n"
        f"| {len(latencies)} | {p50:.2f} s | {p95:.2f} s | {max(latencies):.2f} s | "
        f"≤ {SETTLE_S + 1:g} s |\n",
    )
    return p95


def phase_sigterm(s: Setup, check: Check, watch: Watch, base_url: str) -> None:
    set_faults(base_url, {"spec": "slow:1", "slow_seconds": 4})
    for i in range(3):
        s.write(f"old/in-flight-{i}.png", s.png(f"in flight {i}"))  # a folder that exists
    time.sleep(SETTLE_S + 1.5)  # settled and sent: the slow sandbox holds them in flight
    sent = time.monotonic()
    watch.proc.send_signal(signal.SIGTERM)
    try:
        code = watch.proc.wait(timeout=GRACE_S + 10)
    except subprocess.TimeoutExpired:
        watch.kill()
        code = None
    took = time.monotonic() - sent
    set_faults(base_url, {"spec": "none"})
    state = s.media / ".mediasync" / "state.db"
    open_intents = pending_intents(state)
    landed = sum(1 for i in range(3) if watch.uploaded(f"old/in-flight-{i}.png"))
    ok = code == 0 and took <= GRACE_S + 0.5 and landed == 3 and open_intents == 0
    check.report(
        "sigterm",
        ok,
        f"exit {code} after {took:.1f} s (grace {GRACE_S:g} s); {landed}/3 in-flight uploads "
        f"finished and were recorded; {open_intents} unfinished intents left",
    )


def phase_lock(s: Setup, check: Check) -> None:
    watch = s.watch("lock")
    try:
        watch.wait_for(lambda ev: any(e["event"] == "synced" for e in ev), 60)
        started = time.monotonic()
        second = subprocess.run(
            [s.mediasync, "sync", "-c", str(s.config)],
            env=s.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        took = time.monotonic() - started
    finally:
        watch.kill()  # SIGKILL: the lock must not outlive the process
    after = subprocess.run(
        [s.mediasync, "sync", "-c", str(s.config)],
        env=s.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    ok = second.returncode == 5 and took < 5 and after.returncode == 0
    check.report(
        "lock",
        ok,
        f"sync beside watch: exit {second.returncode} in {took:.1f} s; after kill -9: "
        f"exit {after.returncode} ({after.stdout.strip().splitlines()[-1:] or 'no output'})",
    )


def set_faults(base_url: str, payload: dict[str, Any]) -> None:
    url = f"{base_url}/_sandbox/faults"
    require_loopback(url)
    request = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30):
        pass


def write_config(work: Path, base_url: str) -> Path:
    config = work / "mediasync.toml"
    config.write_text(
        f"[remote]\nlocation_id = {json.dumps(LOCATION)}\nbase_url = {json.dumps(base_url)}\n"
        f"root_folder = {json.dumps(ROOT_FOLDER)}\n\n[local]\npath = \"media\"\n\n"
        f"[sync]\ngrace_period = {GRACE_S}\n\n"
        f"[watch]\nsettle = {SETTLE_S}\nhealth_interval = 30.0\n"
    )
    return config


def run(work: Path, latency_files: int) -> bool:
    mediasync = find_mediasync()
    data = work / "sandbox-data"
    server = SandboxProcess(
        mediasync, work / "sandbox.log", "none", 1, ("--data", str(data))
    )
    check = Check()
    watch: Watch | None = None
    try:
        base_url = server.base_url()
        media = work / "media"
        env = {k: v for k, v in os.environ.items() if k != "MEDIASYNC_CONFIG"}
        env.update(MEDIASYNC_TOKEN=TOKEN, NO_COLOR="1", PYTHONUNBUFFERED="1")
        s = Setup(
            mediasync, work, media, write_config(work, base_url), env, Library(data, base_url),
            random.Random(2026),
        )
        for i in range(20):
            s.write(f"old/pic-{i:02d}.png", s.png(f"old {i}"))
        s.write("page.png", s.png("page before the save"))
        print(f"watch-check: sandbox {base_url}, work dir {work}", flush=True)
        watch = s.watch("main")
        if not watch.wait_for(lambda ev: any(e["event"] == "synced" for e in ev), 120):
            check.report("start", False, f"no initial sync; see {watch.log}")
            return False
        why = wait_equal(media, s.library)
        check.report("start", why is None, f"initial sync of 21 files: {why or 'ok'}")
        phase_burst(s, check)
        phase_chunks(s, check)
        phase_editor(s, check)
        phase_latency(s, check, watch, latency_files)
        phase_sigterm(s, check, watch, base_url)
        phase_lock(s, check)
        why = wait_equal(media, s.library, 30)
        check.report("final", why is None, why or "library equals folder, no duplicate")
    finally:
        if watch is not None:
            watch.kill()
        server.stop()
    passed = all(ok for _, ok, _ in check.results)
    print(f"watch-check: {'PASS' if passed else 'FAIL'} ({len(check.results)} phases)")
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--keep", metavar="DIR", help="work here and keep everything")
    parser.add_argument("--latency-files", type=int, default=200)
    args = parser.parse_args(argv)
    work = Path(args.keep).resolve() if args.keep else Path(tempfile.mkdtemp(prefix="ms-watch-"))
    work.mkdir(parents=True, exist_ok=True)
    ok = run(work, args.latency_files)
    if not ok:
        print(f"watch-check: logs kept in {work}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
