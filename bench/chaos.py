"""Chaos check for mediasync (`make chaos`).

Syncs real-format files into the sandbox while it injects a fault mix, SIGKILLs the sync process
at random moments and restarts it until a run finishes clean, then checks the remote library
against the local folder by name, folder and the sha256 of the bytes served at each hosted URL.
Repeats that for several rounds, changing the local folder between rounds (new, changed,
deleted, moved and touched files), and prints rounds passed, duplicates, orphans, missing files
and total requests. Exit 0 only when every round passed.

    python bench/chaos.py [--rounds 20] [--files 300] [--seed 2026] [--faults chaos] [--keep DIR]

Everything runs on loopback: the sandbox is started on 127.0.0.1 and every URL fetched is
checked to be a loopback address first. Stdlib only.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import ipaddress
import json
import math
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import wave
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "media"

TOKEN = "chaos-token"
LOCATION = "ChaosLocation0000001"
ROOT_FOLDER = "chaos"
API_VERSION = "2021-07-28"
DEFAULT_SEED = 2026

# mediasync needs about 0.45 s to start; earlier kills would only ever hit the interpreter.
KILL_WINDOW_S = (0.5, 4.0)
KILLS_PER_ROUND = (1, 3)
MAX_FINISH_RUNS = 15
RUN_TIMEOUT_S = 600.0
SANDBOX_START_TIMEOUT_S = 20.0
RATE_LIMIT_PAUSE_S = 10.0
PAGE = 100
SHOWN_PROBLEMS = 12
# In mediasync's summary line: uploads a killed run left half-done, settled by the next run.
RECOVERED = re.compile(r"(\d+) recovered")

# Local folders ("" is the root folder itself): ten folders, some nested three deep.
FOLDERS = (
    "",
    "campaign-01/img",
    "campaign-01/docs",
    "campaign-02/img",
    "campaign-02/audio",
    "docs",
    "docs/legal",
    "audio",
    "video",
    "social/2026/q1",
    "social/2026/q2",
)

# ---------------------------------------------------------------------------------------------
# Real-format files, each one different
# ---------------------------------------------------------------------------------------------

Generator = Callable[[random.Random, str], bytes]


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def make_png(rng: random.Random, label: str) -> bytes:
    """An RGB PNG of noise and stripes, 1-30 KB."""
    target = rng.randint(1024, 30 * 1024)
    width = rng.choice((16, 24, 32, 48, 64))
    height = max(2, target // (3 * width + 1))
    stripe = bytes(rng.randrange(256) for _ in range(3))
    rows = []
    for y in range(height):
        if y % 7 == 0:
            rows.append(b"\x00" + stripe * width)
        else:
            rows.append(b"\x00" + rng.randbytes(3 * width))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    text = b"Comment\x00" + label.encode("latin-1", "replace")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"tEXt", text)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + _png_chunk(b"IEND", b"")
    )


def make_wav(rng: random.Random, label: str) -> bytes:
    """A mono 16-bit 8 kHz tone with a little noise, 2-40 KB."""
    del label
    rate = 8000
    frames = (rng.randint(2 * 1024, 40 * 1024) - 44) // 2
    freq = rng.uniform(180.0, 1800.0)
    volume = rng.uniform(0.2, 0.8) * 32767
    samples = [
        max(
            -32768,
            min(
                32767,
                int(volume * math.sin(2 * math.pi * freq * i / rate)) + rng.randint(-200, 200),
            ),
        )
        for i in range(frames)
    ]
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f"<{frames}h", *samples))
    return buffer.getvalue()


_WORD_TEXT = (
    "spring sale launch offer brochure pricing summer client team media chaos sync upload "
    "folder library hosted campaign funnel email social banner invoice report quarterly alpha "
    "beta gamma delta river mountain coffee orange lemon harbor"
)
_WORDS = tuple(_WORD_TEXT.split())


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words))


def make_pdf(rng: random.Random, label: str) -> bytes:
    """A valid one-page PDF (Helvetica text) with a correct xref table, 1-20 KB."""
    title = "".join(c for c in label if c.isascii() and c not in "()\\")
    lines = [f"{title} {rng.randrange(10**9)}"]
    lines += [_sentence(rng, rng.randint(4, 10)) for _ in range(rng.randint(10, 250))]
    ops = ["BT", "/F1 11 Tf", "14 TL", "56 760 Td"]
    ops += [f"({line}) Tj T*" for line in lines]
    ops.append("ET")
    content = "\n".join(ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode()
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)


def make_svg(rng: random.Random, label: str) -> bytes:
    width, height = rng.choice(((640, 480), (800, 600), (1200, 628), (1080, 1080)))
    shapes = []
    for _ in range(rng.randint(5, 120)):
        color = f"#{rng.randrange(0x1000000):06x}"
        x, y = rng.randrange(width), rng.randrange(height)
        if rng.random() < 0.5:
            shapes.append(f'  <circle cx="{x}" cy="{y}" r="{rng.randint(4, 90)}" fill="{color}"/>')
        else:
            w, h = rng.randint(5, 200), rng.randint(5, 200)
            shapes.append(f'  <rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{color}"/>')
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">\n'
        f"  <title>{label}</title>\n" + "\n".join(shapes) + "\n</svg>\n"
    )
    return text.encode()


def make_csv(rng: random.Random, label: str) -> bytes:
    rows = [f"# {label}", "sku,name,price,stock"]
    for n in range(rng.randint(10, 600)):
        price = rng.randint(100, 99999) / 100
        name = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)}"
        rows.append(f"SKU-{n:05d},{name},{price},{rng.randint(0, 500)}")
    return ("\n".join(rows) + "\n").encode()


def make_txt(rng: random.Random, label: str) -> bytes:
    lines = [label, ""] + [_sentence(rng, rng.randint(5, 14)) for _ in range(rng.randint(5, 400))]
    return ("\n".join(lines) + "\n").encode()


def _example(relative: str) -> bytes:
    return (EXAMPLES / relative).read_bytes()


def make_jpeg(rng: random.Random, label: str) -> bytes:
    """The example JPEG with bytes after its final EOI marker (decoders ignore them)."""
    base = _example("images/team-photo.jpg")
    assert base.endswith(b"\xff\xd9"), "team-photo.jpg does not end with an EOI marker"
    return base + label.encode() + rng.randbytes(rng.randint(16, 4096))


def make_gif(rng: random.Random, label: str) -> bytes:
    """The example GIF with bytes after its 0x3B trailer."""
    base = _example("images/banners/loading.gif")
    assert base.endswith(b"\x3b"), "loading.gif does not end with the GIF trailer"
    return base + label.encode() + rng.randbytes(rng.randint(16, 4096))


def make_mp4(rng: random.Random, label: str) -> bytes:
    """The example MP4 with an ISO-BMFF `free` box appended."""
    payload = label.encode() + rng.randbytes(rng.randint(16, 8192))
    return _example("video/intro.mp4") + struct.pack(">I", 8 + len(payload)) + b"free" + payload


def make_mp3(rng: random.Random, label: str) -> bytes:
    """The example MP3 with a 128-byte ID3v1 tag appended."""

    def field_of(text: str, size: int) -> bytes:
        return text.encode("ascii", "replace")[:size].ljust(size, b"\x00")

    tag = (
        b"TAG"
        + field_of(label, 30)
        + field_of("mediasync chaos", 30)
        + field_of(f"take {rng.randrange(10**9)}", 30)
        + field_of(str(rng.randint(1990, 2026)), 4)
        + field_of(f"{rng.randrange(10**12):x}", 30)
        + bytes([rng.randrange(148)])
    )
    assert len(tag) == 128
    return _example("audio/chime.mp3") + tag


@dataclass(frozen=True)
class Kind:
    ext: str
    stems: tuple[str, ...]
    make: Generator
    weight: int


KINDS = (
    Kind("png", ("photo", "banner", "icon", "Hero Image"), make_png, 4),
    Kind("jpg", ("team-photo", "portrait", "Event Photo"), make_jpeg, 2),
    Kind("gif", ("loading", "animation"), make_gif, 1),
    Kind("svg", ("logo", "diagram"), make_svg, 1),
    Kind("wav", ("beep", "jingle"), make_wav, 1),
    Kind("mp3", ("chime", "podcast-clip"), make_mp3, 1),
    Kind("mp4", ("intro", "teaser"), make_mp4, 1),
    Kind("pdf", ("brochure", "price-list", "café-menu"), make_pdf, 2),
    Kind("csv", ("inventory", "leads"), make_csv, 1),
    Kind("txt", ("notes", "readme"), make_txt, 1),
)
KIND_BY_EXT = {kind.ext: kind for kind in KINDS}

# ---------------------------------------------------------------------------------------------
# The local folder and its changes
# ---------------------------------------------------------------------------------------------


@dataclass
class LocalTree:
    root: Path
    rng: random.Random
    files: dict[str, str] = field(default_factory=dict)  # relative path -> extension
    counter: int = 0

    def _write(self, rel: str, ext: str) -> None:
        data = KIND_BY_EXT[ext].make(self.rng, f"{rel} v{self.rng.randrange(10**6)}")
        assert len(data) < 100 * 1024, f"{rel} came out {len(data)} bytes"
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files[rel] = ext

    def _new_name(self, folder: str, kind: Kind) -> str:
        self.counter += 1
        stem = self.rng.choice(kind.stems)
        name = f"{stem} {self.counter:04d}" if " " in stem else f"{stem}-{self.counter:04d}"
        return f"{folder}/{name}.{kind.ext}" if folder else f"{name}.{kind.ext}"

    def add(self, count: int) -> list[str]:
        added = []
        weights = [kind.weight for kind in KINDS]
        for _ in range(count):
            kind = self.rng.choices(KINDS, weights)[0]
            rel = self._new_name(self.rng.choice(FOLDERS), kind)
            self._write(rel, kind.ext)
            added.append(rel)
        return added

    def modify(self, count: int) -> list[str]:
        chosen = self.rng.sample(sorted(self.files), min(count, len(self.files)))
        for rel in chosen:
            self._write(rel, self.files[rel])
        return chosen

    def delete(self, count: int) -> list[str]:
        chosen = self.rng.sample(sorted(self.files), min(count, len(self.files)))
        for rel in chosen:
            (self.root / rel).unlink()
            del self.files[rel]
        return chosen

    def move(self, count: int) -> list[str]:
        """Move files to another folder under a new name (same bytes, same mtime)."""
        chosen = self.rng.sample(sorted(self.files), min(count, len(self.files)))
        for rel in chosen:
            ext = self.files.pop(rel)
            target = self._new_name(self.rng.choice(FOLDERS), KIND_BY_EXT[ext])
            (self.root / target).parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.root / rel, self.root / target)
            self.files[target] = ext
        return chosen

    def touch(self, count: int) -> list[str]:
        """New mtime, same bytes: mediasync should notice the content is unchanged."""
        chosen = self.rng.sample(sorted(self.files), min(count, len(self.files)))
        now = time.time()
        for rel in chosen:
            os.utime(self.root / rel, (now, now))
        return chosen


def local_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file mediasync would consider (hidden files and folders skipped)."""
    found: dict[str, str] = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.startswith("."):
                continue
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


# ---------------------------------------------------------------------------------------------
# Talking to the sandbox (loopback only)
# ---------------------------------------------------------------------------------------------


class ChaosError(Exception):
    pass


def require_loopback(url: str) -> None:
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ChaosError(f"refusing to contact a non-loopback address: {url}")


def _lowered(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}


class Sandbox:
    """HTTP to the sandbox: the real API (with auth), hosted URLs and the /_sandbox admin."""

    def __init__(self, base_url: str) -> None:
        require_loopback(base_url)
        self.base = base_url.rstrip("/")
        # No proxies, whatever the environment says: everything stays on loopback.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.throttled = 0

    def _send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, dict[str, str], bytes]:
        require_loopback(url)
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=60) as response:
                return response.status, _lowered(response.headers.items()), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, _lowered(exc.headers.items()), exc.read()

    def _call(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None = None
    ) -> bytes:
        for _ in range(30):
            status, reply_headers, data = self._send(method, url, headers, body)
            if status == 429:
                self.throttled += 1
                interval = reply_headers.get("x-ratelimit-interval-milliseconds")
                pause = float(interval) / 1000 if interval else RATE_LIMIT_PAUSE_S
                time.sleep(pause if pause > 0 else RATE_LIMIT_PAUSE_S)
                continue
            if 200 <= status < 300:
                return data
            raise ChaosError(f"{method} {url}: {status} {data[:300]!r}")
        raise ChaosError(f"{method} {url}: still rate limited after 30 tries")

    def admin(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        body = json.dumps(payload).encode() if payload is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        return json.loads(self._call(method, f"{self.base}/_sandbox/{path}", headers, body))

    def stats(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.admin("GET", "stats"))

    def set_faults(self, spec: str, seed: int | None = None) -> None:
        payload: dict[str, Any] = {"spec": spec}
        if seed is not None:
            payload["seed"] = seed
        self.admin("POST", "faults", payload)

    def list_items(self, parent_id: str | None, kind: str) -> list[dict[str, Any]]:
        """Every live item of `kind` ("file" or "folder") directly in `parent_id`."""
        headers = {
            "Authorization": f"Bearer {TOKEN}",
            "Version": API_VERSION,
            "Accept": "application/json",
        }
        items: list[dict[str, Any]] = []
        offset = 0
        while True:
            query = {
                "altType": "location",
                "altId": LOCATION,
                "sortBy": "createdAt",
                "sortOrder": "asc",
                "type": kind,
                "offset": str(offset),
                "limit": str(PAGE),
            }
            if parent_id is not None:
                query["parentId"] = parent_id
            url = f"{self.base}/medias/files?{urllib.parse.urlencode(query)}"
            page = json.loads(self._call("GET", url, headers))["files"]
            if not isinstance(page, list):
                raise ChaosError(f"GET /medias/files: files is not a list: {page!r:.200}")
            items.extend(cast(list[dict[str, Any]], page))
            if len(page) < PAGE:
                return items
            offset += len(page)

    def fetch(self, url: str) -> bytes:
        return self._call("GET", url, {})


@dataclass
class RemoteFile:
    key: str
    id: str
    url: str
    sha256: str
    size: int


@dataclass
class RemoteTree:
    files: dict[str, list[RemoteFile]] = field(default_factory=dict)
    folders: Counter[str] = field(default_factory=Counter)  # folder path -> copies


def walk_remote(sandbox: Sandbox) -> RemoteTree:
    """The tree under every root-level folder named ROOT_FOLDER, hosted bytes hashed."""
    tree = RemoteTree()
    stack: list[tuple[str, str]] = [
        (str(item["_id"]), "")
        for item in sandbox.list_items(None, "folder")
        if item.get("name") == ROOT_FOLDER
    ]
    tree.folders[""] = len(stack)
    while stack:
        folder_id, prefix = stack.pop()
        for folder in sandbox.list_items(folder_id, "folder"):
            path = f"{prefix}{folder['name']}"
            tree.folders[path] += 1
            stack.append((str(folder["_id"]), f"{path}/"))
        for item in sandbox.list_items(folder_id, "file"):
            key = f"{prefix}{item['name']}"
            url = str(item.get("url") or "")
            data = sandbox.fetch(url) if url else b""
            tree.files.setdefault(key, []).append(
                RemoteFile(key, str(item["_id"]), url, hashlib.sha256(data).hexdigest(), len(data))
            )
    return tree


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------


def find_mediasync() -> str:
    for candidate in (Path(sys.executable).parent / "mediasync", REPO / ".venv/bin/mediasync"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("mediasync")
    if found is None:
        raise ChaosError("mediasync is not installed: run `make venv` first")
    return found


@dataclass
class Runner:
    mediasync: str
    config: Path
    work: Path
    env: dict[str, str]
    current: subprocess.Popen[bytes] | None = None

    def sync(self, log: Path, label: str, kill_after: float | None) -> int | None:
        """One `mediasync sync`; SIGKILLed after `kill_after` s if still running (→ None)."""
        with log.open("ab") as out:
            out.write(f"\n===== {label} =====\n".encode())
            out.flush()
            proc = subprocess.Popen(
                [self.mediasync, "sync", "-c", str(self.config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.work,
            )
            self.current = proc
            try:
                return proc.wait(timeout=kill_after if kill_after is not None else RUN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                out.write(f"\n===== {label}: SIGKILL after {kill_after} s =====\n".encode())
                if kill_after is None:
                    raise ChaosError(f"{label}: no exit after {RUN_TIMEOUT_S:.0f} s") from None
                return None
            finally:
                self.current = None

    def manifest(self) -> list[dict[str, Any]]:
        done = subprocess.run(
            [self.mediasync, "manifest", "--format", "json", "-c", str(self.config)],
            capture_output=True,
            env=self.env,
            cwd=self.work,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise ChaosError(f"mediasync manifest exited {done.returncode}: {done.stderr!r:.300}")
        return cast(list[dict[str, Any]], json.loads(done.stdout))

    def stop_current(self) -> None:
        proc = self.current
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()


class SandboxProcess:
    def __init__(
        self, mediasync: str, log: Path, spec: str, seed: int, extra: Sequence[str] = ()
    ) -> None:
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(
            [
                mediasync,
                "sandbox",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--token",
                TOKEN,
                "--location-id",
                LOCATION,
                "--faults",
                spec,
                "--fault-seed",
                str(seed),
                *extra,
            ],
            stdout=self._out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def base_url(self) -> str:
        deadline = time.monotonic() + SANDBOX_START_TIMEOUT_S
        while time.monotonic() < deadline:
            for line in self.log.read_text(errors="replace").splitlines():
                if line.startswith("sandbox: base_url="):
                    return line.removeprefix("sandbox: base_url=").strip()
            if self.proc.poll() is not None:
                raise ChaosError(f"the sandbox exited: {self.log.read_text(errors='replace')}")
            time.sleep(0.05)
        raise ChaosError(f"the sandbox printed no base_url in {SANDBOX_START_TIMEOUT_S:.0f} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


# ---------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    duplicates: int = 0
    orphans: int = 0
    absent: int = 0
    mismatched: int = 0
    manifest_problems: int = 0
    duplicate_folders: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return self.absent + self.mismatched

    @property
    def passed(self) -> bool:
        return not (self.duplicates or self.orphans or self.missing or self.manifest_problems)


def verify(local: dict[str, str], remote: RemoteTree, manifest: list[dict[str, Any]]) -> Verdict:
    verdict = Verdict()
    for key, copies in sorted(remote.files.items()):
        if len(copies) > 1:
            verdict.duplicates += len(copies) - 1
            ids = ", ".join(f"{c.id} sha={c.sha256[:10]} {c.size} B" for c in copies)
            verdict.problems.append(f"duplicate: {key}: {len(copies)} copies ({ids})")
        if key not in local:
            verdict.orphans += len(copies)
            ids = ", ".join(c.id for c in copies)
            verdict.problems.append(f"orphan: {key} (remote id {ids}) has no local file")
    for key, digest in sorted(local.items()):
        copies = remote.files.get(key, [])
        if not copies:
            verdict.absent += 1
            verdict.problems.append(f"missing: {key} has no remote copy")
        elif not any(c.sha256 == digest for c in copies):
            verdict.mismatched += 1
            served = ", ".join(f"{c.id} sha={c.sha256[:10]} {c.size} B" for c in copies)
            verdict.problems.append(
                f"missing (content mismatch): {key} local sha={digest[:10]}, remote {served}"
            )
    for path, count in sorted(remote.folders.items()):
        if count > 1:
            verdict.duplicate_folders += count - 1
            verdict.problems.append(f"note: folder '{ROOT_FOLDER}/{path}' exists {count} times")

    rows = {str(row.get("path")): row for row in manifest}
    for key in sorted(set(local) - set(rows)):
        verdict.manifest_problems += 1
        verdict.problems.append(f"manifest: {key} is not in the manifest")
    for key, row in sorted(rows.items()):
        url = str(row.get("url") or "")
        if key not in local:
            verdict.manifest_problems += 1
            verdict.problems.append(f"manifest: {key} is listed but no such local file")
            continue
        match = [c for c in remote.files.get(key, []) if c.url == url]
        if not match:
            verdict.manifest_problems += 1
            verdict.problems.append(f"manifest: {key} → {url} is not a remote copy of it")
        elif match[0].sha256 != local[key]:
            verdict.manifest_problems += 1
            verdict.problems.append(f"manifest: {key} → {url} serves other bytes")
    return verdict


# ---------------------------------------------------------------------------------------------
# The rounds
# ---------------------------------------------------------------------------------------------


@dataclass
class RoundResult:
    number: int
    kills: int = 0
    mid_sync_kills: int = 0
    recovered: int = 0
    runs: int = 0
    seconds: float = 0.0
    requests: int = 0
    verdict: Verdict | None = None
    error: str = ""

    @property
    def passed(self) -> bool:
        return not self.error and self.verdict is not None and self.verdict.passed


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def mutate(tree: LocalTree, number: int, files: int) -> str:
    if number == 1:
        tree.add(files)
        return f"{files} new"
    scale = max(1, min(5, len(tree.files) // 12))
    rng = tree.rng
    added = len(tree.add(rng.randint(scale, scale + 2)))
    modified = len(tree.modify(rng.randint(scale, scale + 2)))
    deleted = len(tree.delete(rng.randint(max(1, scale - 2), scale + 1)))
    moved = len(tree.move(1))
    touched = len(tree.touch(1))
    return f"+{added} ~{modified} -{deleted} moved {moved} touched {touched}"


def play_round(
    number: int,
    args: argparse.Namespace,
    tree: LocalTree,
    runner: Runner,
    sandbox: Sandbox,
    logs: Path,
) -> RoundResult:
    started = time.monotonic()
    requests_before = int(sandbox.stats()["requests_total"])
    result = RoundResult(number)
    log = logs / f"round-{number:02d}.log"
    try:
        result.error = sync_round(result, args, tree, runner, sandbox, log)
        if not result.error:
            sandbox.set_faults("none")
            try:
                remote = walk_remote(sandbox)
                result.verdict = verify(local_hashes(tree.root), remote, runner.manifest())
            finally:
                if args.faults != "none":
                    sandbox.set_faults(args.faults, args.seed * 1000 + number + 1)
            lines = log.read_text(errors="replace").splitlines()
            rejected = [line for line in lines if line.startswith("rejected ")]
            result.recovered = sum(
                int(found.group(1))
                for line in lines
                if line.startswith("sync: ") and (found := RECOVERED.search(line))
            )
            result.verdict.problems.extend(f"note: mediasync {line}" for line in rejected)
            (logs / f"round-{number:02d}-problems.txt").write_text(
                "".join(f"{p}\n" for p in result.verdict.problems)
            )
    finally:
        result.seconds = time.monotonic() - started
        result.requests = int(sandbox.stats()["requests_total"]) - requests_before
    return result


def sync_round(
    result: RoundResult,
    args: argparse.Namespace,
    tree: LocalTree,
    runner: Runner,
    sandbox: Sandbox,
    log: Path,
) -> str:
    """Change the folder, sync with kills, then sync until clean; the error, or ""."""
    rng = tree.rng
    change = mutate(tree, result.number, args.files)
    log.write_text(f"round {result.number}: {change}\n")
    for attempt in range(rng.randint(*KILLS_PER_ROUND)):
        delay = round(rng.uniform(*KILL_WINDOW_S), 3)
        result.runs += 1
        sent_before = int(sandbox.stats()["requests_total"])
        code = runner.sync(log, f"kill phase, run {attempt + 1}, kill after {delay} s", delay)
        if code is None:
            result.kills += 1
            # More than the access check went out: the kill landed in the middle of the work.
            if int(sandbox.stats()["requests_total"]) - sent_before > 1:
                result.mid_sync_kills += 1
        elif code not in (0, 1):
            return f"sync exited {code} in the kill phase; log {log}, its tail:\n{tail(log)}"
    for attempt in range(MAX_FINISH_RUNS):
        result.runs += 1
        code = runner.sync(log, f"finish phase, run {attempt + 1}", None)
        if code == 0:
            return ""
        if code != 1:
            return f"sync exited {code}; log {log}, its tail:\n{tail(log)}"
    return f"no clean run in {MAX_FINISH_RUNS} tries; log {log}, its tail:\n{tail(log)}"


def print_round(result: RoundResult, rounds: int) -> None:
    verdict = result.verdict
    head = (
        f"round {result.number:2d}/{rounds}  "
        f"kills {result.kills} ({result.mid_sync_kills} mid-sync)  runs {result.runs:2d}  "
        f"{result.seconds:6.1f} s  requests {result.requests:5d}"
    )
    if verdict is None:
        print(f"{head}  FAIL: {result.error}", flush=True)
        return
    print(
        f"{head}  duplicates {verdict.duplicates}  orphans {verdict.orphans}  "
        f"missing {verdict.missing}  manifest {verdict.manifest_problems}  "
        f"{'ok' if result.passed else 'FAIL'}",
        flush=True,
    )
    shown = [p for p in verdict.problems if not p.startswith("note:") or not result.passed]
    for problem in shown[:SHOWN_PROBLEMS]:
        print(f"    {problem}")
    if len(shown) > SHOWN_PROBLEMS:
        more = len(shown) - SHOWN_PROBLEMS
        print(f"    ... {more} more in round-{result.number:02d}-problems.txt")


def print_summary(
    results: list[RoundResult], rounds: int, stats: dict[str, Any], sandbox: Sandbox, elapsed: float
) -> None:
    verdicts = [r.verdict for r in results if r.verdict is not None]
    passed = sum(1 for r in results if r.passed)
    per_route = cast(dict[str, int], stats.get("requests_per_route", {}))
    api = sum(n for route, n in per_route.items() if " /medias" in route)
    hosted = sum(n for route, n in per_route.items() if " /hosted" in route)
    faults = cast(dict[str, int], stats.get("faults", {}))
    print()
    print(f"rounds passed: {passed}/{rounds}")
    print(f"duplicates: {sum(v.duplicates for v in verdicts)}")
    print(f"orphans: {sum(v.orphans for v in verdicts)}")
    print(
        f"missing: {sum(v.missing for v in verdicts)} "
        f"(no remote copy {sum(v.absent for v in verdicts)}, "
        f"content mismatch {sum(v.mismatched for v in verdicts)})"
    )
    print(f"manifest mismatches: {sum(v.manifest_problems for v in verdicts)}")
    print(
        f"kills: {sum(r.kills for r in results)} "
        f"({sum(r.mid_sync_kills for r in results)} after API traffic began; "
        f"{sum(r.recovered for r in results)} interrupted uploads recovered by the next run), "
        f"sync runs: {sum(r.runs for r in results)}"
    )
    print(
        f"total requests: {stats.get('requests_total')} "
        f"(API {api}, hosted URL fetches {hosted}); rate_limited (429): "
        f"{stats.get('rate_limited')} (of them the checker's own: {sandbox.throttled})"
    )
    print(
        "faults injected: "
        + ", ".join(f"{k} {v}" for k, v in faults.items())
        + f" (total {sum(faults.values())})"
    )
    print(
        f"sandbox at the end: {stats.get('files')} files, {stats.get('folders')} folders, "
        f"uploads stored {stats.get('uploads')}, deletes {stats.get('deletes')}, "
        f"duplicates {stats.get('duplicates')}, duplicate folders "
        f"{stats.get('duplicate_folders')}"
    )
    print(f"wall time: {elapsed:.1f} s")


def write_config(work: Path, base_url: str) -> Path:
    config = work / "mediasync.toml"
    config.write_text(
        "[remote]\n"
        f"location_id = {json.dumps(LOCATION)}\n"
        f"base_url = {json.dumps(base_url)}\n"
        f"root_folder = {json.dumps(ROOT_FOLDER)}\n"
        "\n[local]\n"
        'path = "media"\n'
        "\n[sync]\n"
        "concurrency = 4\n"
        'max_delete = "50%"\n'
        "retry_max_wait = 2.0\n"
    )
    return config


def run(args: argparse.Namespace, work: Path) -> bool:
    mediasync = find_mediasync()
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    media = work / "media"
    if media.exists():
        shutil.rmtree(media)
    media.mkdir()
    (work / "mediasync.toml").unlink(missing_ok=True)

    started = time.monotonic()
    server = SandboxProcess(mediasync, logs / "sandbox.log", args.faults, args.seed)
    runner: Runner | None = None
    try:
        base_url = server.base_url()
        sandbox = Sandbox(base_url)
        env = {k: v for k, v in os.environ.items() if k != "MEDIASYNC_CONFIG"}
        env.update(MEDIASYNC_TOKEN=TOKEN, NO_COLOR="1", PYTHONUNBUFFERED="1")
        runner = Runner(mediasync, write_config(work, base_url), work, env)
        tree = LocalTree(media, random.Random(args.seed))
        print(
            f"chaos: seed {args.seed}, {args.rounds} rounds, {args.files} files, faults "
            f"{args.faults!r}, sandbox {base_url}, work dir {work}",
            flush=True,
        )
        results: list[RoundResult] = []
        for number in range(1, args.rounds + 1):
            result = play_round(number, args, tree, runner, sandbox, logs)
            results.append(result)
            print_round(result, args.rounds)
        print_summary(results, args.rounds, sandbox.stats(), sandbox, time.monotonic() - started)
        return all(r.passed for r in results)
    finally:
        if runner is not None:
            runner.stop_current()
        server.stop()


@dataclass
class WorkDir:
    path: Path
    temporary: bool


def work_dir(keep: str | None) -> WorkDir:
    if keep:
        path = Path(keep).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return WorkDir(path, False)
    return WorkDir(Path(tempfile.mkdtemp(prefix="mediasync-chaos-")), True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--faults", default="chaos", help="sandbox fault spec (default chaos)")
    parser.add_argument("--keep", metavar="DIR", help="work here and keep everything afterwards")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.files < 12:
        parser.error("--rounds must be at least 1 and --files at least 12")

    work = work_dir(args.keep)
    ok = False
    try:
        ok = run(args, work.path)
    except ChaosError as exc:
        print(f"chaos: error: {exc}", file=sys.stderr)
    finally:
        if work.temporary and ok:
            shutil.rmtree(work.path, ignore_errors=True)
        elif work.temporary:
            print(f"chaos: kept the work dir for inspection: {work.path}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
