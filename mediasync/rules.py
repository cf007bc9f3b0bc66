"""Which files are synced and how they are sent: ignore patterns, type allow-list, size limits
and content sniffing. Everything here is pure: it judges names, sizes and leading bytes handed in.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from mediasync.models import name_of

# OS, Office, editor and download leftovers that no one means to publish: editors' swap,
# backup and probe files (vim writes "4913" to test a folder) and files still downloading.
DEFAULT_IGNORE: tuple[str, ...] = (
    ".*",
    "Thumbs.db",
    "ehthumbs.db",
    "desktop.ini",
    "~$*",
    "*~",
    "*.crdownload",
    "*.part",
    "*.partial",
    "*.download",
    "*.tmp",
    "*.swp",
    "*.swx",
    "*.bak",
    "#*#",
    "4913",
    "*.kate-swp",
    "*.crswap",
    "*.sb-*",
)

# Extensions the Media Library accepts (its help article's list), with the MIME type sent.
_TYPES: dict[str, tuple[str, str]] = {
    **{
        ext: ("image", mime)
        for ext, mime in {
            "png": "image/png",
            "jpg": "image/jpeg",
            "jpeg": "image/jpeg",
            "jfif": "image/jpeg",
            "pjpeg": "image/jpeg",
            "pjp": "image/jpeg",
            "gif": "image/gif",
            "tif": "image/tiff",
            "tiff": "image/tiff",
            "webp": "image/webp",
            "svg": "image/svg+xml",
            "ico": "image/x-icon",
            "cur": "image/x-icon",
            "bmp": "image/bmp",
        }.items()
    },
    **{
        ext: ("video", mime)
        for ext, mime in {
            "avi": "video/x-msvideo",
            "mov": "video/quicktime",
            "qt": "video/quicktime",
            "mp4": "video/mp4",
            "m4v": "video/mp4",
            "mpg": "video/mpeg",
            "ogv": "video/ogg",
            "wmv": "video/x-ms-wmv",
            "asf": "video/x-ms-asf",
            "webm": "video/webm",
        }.items()
    },
    **{
        ext: ("audio", mime)
        for ext, mime in {
            "aif": "audio/aiff",
            "aiff": "audio/aiff",
            "aifc": "audio/aiff",
            "mid": "audio/midi",
            "midi": "audio/midi",
            "wav": "audio/wav",
            "oga": "audio/ogg",
            "ogg": "audio/ogg",
            "weba": "audio/webm",
            "mp3": "audio/mpeg",
            "mpeg": "audio/mpeg",
            "m4a": "audio/mp4",
        }.items()
    },
    **{
        ext: ("document", mime)
        for ext, mime in {
            "pdf": "application/pdf",
            "doc": "application/msword",
            "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "xls": "application/vnd.ms-excel",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
            "ppt": "application/vnd.ms-powerpoint",
            "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "pptm": "application/vnd.ms-powerpoint.presentation.macroEnabled.12",
            "numbers": "application/x-iwork-numbers-sffnumbers",
            "rtf": "application/rtf",
            "txt": "text/plain",
            "csv": "text/csv",
            "zip": "application/zip",
            "vcf": "text/vcard",
        }.items()
    },
    **{
        ext: ("font", mime)
        for ext, mime in {
            "ttf": "font/ttf",
            "otf": "font/otf",
            "woff": "font/woff",
            "woff2": "font/woff2",
        }.items()
    },
}

# Leading-byte signatures: (offset, magic) → the MIME type they prove.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"BM", "image/bmp"),
    (0, b"\x00\x00\x01\x00", "image/x-icon"),
    (0, b"\x00\x00\x02\x00", "image/x-icon"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"OggS", "application/ogg"),
    (0, b"MThd", "audio/midi"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "video/x-ms-asf"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (0, b"{\\rtf", "application/rtf"),
    (0, b"wOFF", "font/woff"),
    (0, b"wOF2", "font/woff2"),
    (0, b"OTTO", "font/otf"),
    (0, b"\x00\x01\x00\x00", "font/ttf"),
)

# Containers whose true kind is read further in.
_RIFF = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}
_FTYP_QUICKTIME = {b"qt  "}
_FTYP_AUDIO = {b"M4A ", b"M4B "}

# Per extension, the sniffed types that count as "the content matches the name".
_COMPATIBLE: dict[str, frozenset[str]] = {
    "ico": frozenset({"image/x-icon", "image/png", "image/bmp"}),
    "cur": frozenset({"image/x-icon"}),
    "ogg": frozenset({"application/ogg"}),
    "oga": frozenset({"application/ogg"}),
    "ogv": frozenset({"application/ogg"}),
    "weba": frozenset({"video/webm"}),
    "mpeg": frozenset({"audio/mpeg", "video/mpeg"}),
    "mpg": frozenset({"video/mpeg"}),
    "doc": frozenset({"application/x-ole-storage"}),
    "xls": frozenset({"application/x-ole-storage"}),
    "ppt": frozenset({"application/x-ole-storage"}),
    **{
        ext: frozenset({"application/zip"})
        for ext in ("docx", "xlsx", "xlsm", "pptx", "pptm", "numbers", "zip")
    },
    "mp4": frozenset({"video/mp4", "video/quicktime", "audio/mp4"}),
    "m4v": frozenset({"video/mp4", "video/quicktime"}),
    "mov": frozenset({"video/quicktime", "video/mp4"}),
    "qt": frozenset({"video/quicktime", "video/mp4"}),
    "m4a": frozenset({"audio/mp4", "video/mp4"}),
    "asf": frozenset({"video/x-ms-asf"}),
    "wmv": frozenset({"video/x-ms-asf"}),
    "ttf": frozenset({"font/ttf"}),
}

# Text formats have no signature; they only must not be binary.
_TEXT_EXTENSIONS = frozenset({"txt", "csv", "vcf", "svg"})

SNIFF_BYTES = 512


@dataclass(frozen=True, slots=True)
class Verdict:
    """A file judged by its content: send it with `content_type`, or refuse it for `reason`."""

    content_type: str | None
    reason: str = ""
    note: str = ""


def extension_of(path: str) -> str:
    name = name_of(path)
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


class IgnoreRules:
    """The default ignore patterns and the configured ones, compiled into two regexes: one for
    names (patterns without "/", matched against every part of a path) and one for whole
    paths. A walk of 100,000 files asks this about each of them; pattern by pattern through
    fnmatch, that took seconds."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        patterns = (*DEFAULT_IGNORE, *extra)
        self._names = _one_regex(p for p in patterns if "/" not in p)
        self._paths = _one_regex(p for p in patterns if "/" in p)

    def __call__(self, path: str) -> bool:
        """True for files nobody means to publish. Patterns match the name or the whole path."""
        return self.path_matches(path) or any(self.name_matches(p) for p in path.split("/"))

    def name_matches(self, name: str) -> bool:
        return self._names is not None and self._names.match(name) is not None

    def path_matches(self, path: str) -> bool:
        return self._paths is not None and self._paths.match(path) is not None


@functools.lru_cache(maxsize=16)
def ignore_rules(extra: tuple[str, ...] = ()) -> IgnoreRules:
    return IgnoreRules(extra)


def is_ignored(path: str, extra: Iterable[str] = ()) -> bool:
    """True for files nobody means to publish. Patterns match the name or the whole path."""
    return ignore_rules(tuple(extra))(path)


def _one_regex(patterns: Iterable[str]) -> re.Pattern[str] | None:
    # fnmatch.translate anchors each pattern at both ends, so they can be joined as they are.
    parts = [fnmatch.translate(p) for p in patterns]
    return re.compile("|".join(parts)) if parts else None


def check_name_and_size(path: str, size: int, max_file: int, max_video: int) -> str | None:
    """The reason a file must not be uploaded, judged from its name and size only; else None."""
    # Asked of every file on every scan, so the name is taken apart once, inline.
    name = path.rpartition("/")[2]
    if name.endswith((" ", ".")):
        return "name ends with a space or a dot: rename it"
    stem, dot, ext = name.rpartition(".")
    ext = ext.lower() if dot and stem else ""
    if not ext:
        return "no file extension: the Media Library needs one (rename it, e.g. photo.png)"
    kind = _TYPES.get(ext)
    if kind is None:
        return f"file type .{ext} is not accepted by the Media Library"
    if size == 0:
        return "empty file (0 bytes)"
    limit = max_video if kind[0] == "video" else max_file
    if size > limit:
        return f"too large: {_mb(size)} is over the {_mb(limit)} limit for {kind[0]} files"
    return None


def sniff(head: bytes) -> str | None:
    """The MIME type that the leading bytes prove, or None when they prove nothing."""
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _FTYP_QUICKTIME:
            return "video/quicktime"
        return "audio/mp4" if brand in _FTYP_AUDIO else "video/mp4"
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return "video/quicktime"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "audio/aiff"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "audio/mpeg"
    if len(head) >= 4 and head[:3] == b"\x00\x00\x01" and head[3] in (0xBA, 0xB3):
        return "video/mpeg"
    for offset, magic, mime in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return mime
    return None


def judge_content(path: str, head: bytes) -> Verdict:
    """Decide how to send a file whose name passed `check_name_and_size`, from its first bytes.

    A known binary format must show its signature. When the bytes prove a different accepted
    type (a PNG named .jpg), the file is sent with the type it truly has.
    """
    ext = extension_of(path)
    category, declared = _TYPES[ext]
    found = sniff(head)
    if ext in _TEXT_EXTENSIONS:
        if b"\x00" in head:
            return Verdict(None, f"content is binary, not the text a .{ext} file holds")
        if ext == "svg" and b"<svg" not in head.lower() and b"<?xml" not in head.lower():
            return Verdict(None, "content is not an SVG image (no <svg> or <?xml> at the start)")
        return Verdict(declared)
    if found is None:
        if ext in ("rtf", "mid", "midi"):
            return Verdict(declared)
        return Verdict(
            None,
            f"content is not a{_article(category)} {category}: "
            f"its bytes do not match the .{ext} format",
        )
    if found == declared or found in _COMPATIBLE.get(ext, ()):
        return Verdict(declared)
    if _category_of(found) != category:
        return Verdict(None, f"content is {found} but the name says .{ext}: rename the file")
    return Verdict(found, note=f"content is {found}, not .{ext}: sent as {found}")


def _category_of(mime: str) -> str | None:
    for category, declared in _TYPES.values():
        if declared == mime:
            return category
    return None


def _article(word: str) -> str:
    return "n" if word[0] in "aeiou" else ""


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def accepted_extensions() -> frozenset[str]:
    return frozenset(_TYPES)


def category_of_extension(ext: str) -> str | None:
    entry = _TYPES.get(ext)
    return entry[0] if entry else None
