"""Which files are synced and how they are sent: ignore patterns, the per-category type
allow-list and size limits, and the verdict on a file's content. Everything here is pure: it
judges names, sizes and leading bytes handed in (formats.py says what the bytes are).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from mediasync.formats import (
    CATEGORIES,
    FORMATS,
    HEAD_BYTES,
    TEXT_FORMATS,
    VIDEO,
    Detected,
    content_matches,
    detect,
    text_problem,
)
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

SNIFF_BYTES = HEAD_BYTES
MB = 1024 * 1024

# What to do with a file whose content is another accepted format of the same category than its
# extension says (a PNG named .jpg): send it with the type it truly has, or refuse it.
SEND_TRUE_TYPE = "send-true-type"
REJECT = "reject"
MISMATCH_CHOICES = (SEND_TRUE_TYPE, REJECT)

EMPTY = "empty file (0 bytes): the library refuses empty files; add content or delete it"


def _all_of(category: str) -> frozenset[str]:
    return frozenset(ext for ext, (cat, _) in FORMATS.items() if cat == category)


def _default_allowed() -> Mapping[str, frozenset[str]]:
    return MappingProxyType({category: _all_of(category) for category in CATEGORIES})


def _default_limits() -> Mapping[str, int]:
    return MappingProxyType({category: 25 * MB for category in CATEGORIES})


@dataclass(frozen=True, slots=True)
class TypeRules:
    """[rules]: the extensions allowed per category, the size limit per category, and the
    decision for content that contradicts its extension."""

    allowed: Mapping[str, frozenset[str]] = field(default_factory=_default_allowed)
    limits: Mapping[str, int] = field(default_factory=_default_limits)
    mismatch: str = SEND_TRUE_TYPE

    @staticmethod
    def of(
        allowed: Mapping[str, Iterable[str]] | None = None,
        limits: Mapping[str, int] | None = None,
        mismatch: str = SEND_TRUE_TYPE,
    ) -> TypeRules:
        """Rules where the categories not named keep their defaults."""
        allow = dict(_default_allowed())
        allow.update({c: frozenset(e) for c, e in (allowed or {}).items()})
        limit = dict(_default_limits())
        limit.update(limits or {})
        return TypeRules(MappingProxyType(allow), MappingProxyType(limit), mismatch)

    def allows(self, ext: str) -> bool:
        entry = FORMATS.get(ext)
        return entry is not None and ext in self.allowed.get(entry[0], frozenset())


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


def check_name_and_size(path: str, size: int, rules: TypeRules) -> str | None:
    """The reason a file must not be uploaded, judged from its name and size only; else None.
    Every reason ends with what to do about it."""
    name = name_of(path)
    if name != name.rstrip(" ."):
        return "name ends with a space or a dot, which the library drops: rename it"
    ext = extension_of(path)
    if not ext:
        # Judged by its content, which names the extension to give it (judge_content).
        return EMPTY if size == 0 else None
    if ext not in FORMATS:
        return (
            f"file type .{ext} is not accepted by the Media Library: convert it to an accepted "
            "format, or add it to [local] ignore"
        )
    category = FORMATS[ext][0]
    if not rules.allows(ext):
        return (
            f".{ext} files are turned off by [rules] {category}_types: add \"{ext}\" there to "
            "send them, or add the file to [local] ignore"
        )
    if size == 0:
        return EMPTY
    limit = rules.limits[category]
    if size > limit:
        return (
            f"too large: {_over(size, limit)} limit for {category} files "
            f"([rules] max_{category}_mb): make it smaller"
        )
    return None


def judge_content(path: str, head: bytes, rules: TypeRules | None = None) -> Verdict:
    """Decide how to send a file whose name passed `check_name_and_size`, from its first bytes.

    A file whose bytes are its extension's format is sent as that. When the bytes prove another
    allowed format of the same category (a PNG named .jpg), [rules] mismatch decides: send it
    with the type it truly has, or refuse it. Any other contradiction is refused.
    """
    rules = rules or TypeRules()
    ext = extension_of(path)
    if not ext:
        return Verdict(None, _no_extension(name_of(path), detect(head)))
    category, declared = FORMATS[ext]
    if ext in TEXT_FORMATS:
        # Text has no signature: it is text unless the bytes prove a binary format.
        found = detect(head)
        if found is None or found.ext in TEXT_FORMATS:
            problem = text_problem(ext, head)
            if problem is None:
                return Verdict(declared)
            return Verdict(None, f"{problem}: rename it or fix its content")
    elif content_matches(ext, head):
        return Verdict(declared)
    else:
        found = detect(head)
    if found is None:
        return Verdict(
            None,
            f"content is not a{_article(category)} {category}: its bytes do not match the "
            f".{ext} format (a damaged or mislabeled file?): fix or rename it",
        )
    if found.category != category or not rules.allows(found.ext):
        return Verdict(
            None,
            f"content is {found.content_type} but the name says .{ext}: "
            f"rename it to .{found.ext}",
        )
    if rules.mismatch == REJECT:
        return Verdict(
            None,
            f"content is {found.content_type} but the name says .{ext}: rename it to "
            f'.{found.ext}, or set [rules] mismatch = "{SEND_TRUE_TYPE}"',
        )
    note = f"content is {found.content_type}, not .{ext}: sent as {found.content_type}"
    return Verdict(found.content_type, note=note)


def _no_extension(name: str, found: Detected | None) -> str:
    # The library judges files by their extension, so one without cannot be sent as it is.
    if found is None:
        return (
            "no file extension, and the content is no format the Media Library accepts: "
            "rename it with the right extension, or add it to [local] ignore"
        )
    return (
        f"no file extension: the Media Library needs one; the content is "
        f"{found.content_type}, so rename it to {name}.{found.ext}"
    )


def _article(word: str) -> str:
    return "n" if word[0] in "aeiou" else ""


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


def _over(size: int, limit: int) -> str:
    """"X is over the Y", in MB; in bytes too when both would round to the same MB figure
    (one byte over 25 MB must not read "25.0 MB is over the 25.0 MB limit")."""
    if _mb(size) != _mb(limit):
        return f"{_mb(size)} is over the {_mb(limit)}"
    return f"{size:,} bytes is over the {_mb(limit)} ({limit:,} bytes)"


def accepted_extensions() -> frozenset[str]:
    return frozenset(FORMATS)


def category_of_extension(ext: str) -> str | None:
    entry = FORMATS.get(ext)
    return entry[0] if entry else None


def is_video(ext: str) -> bool:
    return category_of_extension(ext) == VIDEO
