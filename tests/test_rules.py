"""Type, size and ignore rules, judged the way the corpus README expects."""

from __future__ import annotations

import fnmatch

import pytest

from mediasync.rules import (
    DEFAULT_IGNORE,
    check_name_and_size,
    extension_of,
    is_ignored,
    judge_content,
    sniff,
)
from tests.helpers import EXAMPLES, png_bytes

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("junk/.DS_Store", True),
        ("junk/Thumbs.db", True),
        ("junk/~$draft.docx", True),
        ("junk/download.mp4.crdownload", True),
        ("junk/photo.jpg.part", True),
        ("junk/.clip.mp4.swp", True),
        (".mediasync/state.db", True),
        ("a/.hidden/x.png", True),
        ("Café menu.jpg", False),
        ("emoji 🎉 party.png", False),
        ("résumé (final) [v2].pdf", False),
        ("UPPER.JPG", False),
    ],
)
def test_ignore_rules(path: str, ignored: bool) -> None:
    assert is_ignored(path) is ignored


def test_extra_ignore_patterns_match_names_and_paths() -> None:
    assert is_ignored("raw/shot.png", ["raw/*"])
    assert is_ignored("a/b/file.psd", ["*.psd"])
    assert not is_ignored("a/raw.png", ["raw/*"])


def fnmatch_one_by_one(path: str, extra: tuple[str, ...]) -> bool:
    """The rule as documented, pattern by pattern: what the compiled rules must agree with."""
    parts = path.split("/")
    for pattern in (*DEFAULT_IGNORE, *extra):
        if "/" in pattern:
            if fnmatch.fnmatchcase(path, pattern):
                return True
        elif any(fnmatch.fnmatchcase(part, pattern) for part in parts):
            return True
    return False


@pytest.mark.parametrize("extra", [(), ("raw/*",), ("*.psd", "b?d[0-9].png", "x/*/y*")])
def test_compiled_ignore_rules_agree_with_fnmatch(extra: tuple[str, ...]) -> None:
    paths = [
        "a.png",
        ".DS_Store",
        "raw/shot.png",
        "a/raw/shot.png",
        "a/b/file.psd",
        "bad1.png",
        "bad12.png",
        "x/q/yes.png",
        "x/q/r/yes.png",
        "~$doc.docx",
        "dir.tmp/a.png",
        "#x#",
        "4913",
        "a/4913/b.png",
        "Thumbs.db",
        "thumbs.db",
        "a\nb.png",
        "Café.jpg",
        "[x].png",
    ]
    for path in paths:
        assert is_ignored(path, extra) is fnmatch_one_by_one(path, extra), path


@pytest.mark.parametrize(
    ("path", "size", "reason"),
    [
        ("UPPER.JPG", 10, None),
        ("noext", 10, "no file extension"),
        (".png", 10, "no file extension"),
        ("tool.exe", 10, "file type .exe"),
        ("empty.png", 0, "empty file"),
        ("big.jpg", 26 * MB, "too large: 26.0 MB is over the 25.0 MB limit for image files"),
        ("film.mp4", 26 * MB, None),
    ],
)
def test_name_and_size(path: str, size: int, reason: str | None) -> None:
    found = check_name_and_size(path, size, 25 * MB, 100 * MB)
    if reason is None:
        assert found is None
    else:
        assert found is not None and found.startswith(reason)


def test_extension_is_case_insensitive() -> None:
    assert extension_of("dir.v2/UPPER.JPG") == "jpg"
    assert extension_of("dir.v2/noext") == ""


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("images/sunset.png", "image/png"),
        ("images/team-photo.jpg", "image/jpeg"),
        ("images/banners/spring-sale.webp", "image/webp"),
        ("images/banners/loading.gif", "image/gif"),
        ("video/intro.mp4", "video/mp4"),
        ("audio/chime.mp3", "audio/mpeg"),
        ("audio/beep.wav", "audio/wav"),
        ("docs/price-list.pdf", "application/pdf"),
    ],
)
def test_example_media_is_sniffed_and_accepted(name: str, mime: str) -> None:
    head = (EXAMPLES / name).read_bytes()[:512]
    assert sniff(head) == mime
    verdict = judge_content(name, head)
    assert verdict.content_type == mime and not verdict.reason


def test_text_named_png_is_rejected() -> None:
    verdict = judge_content("fake.png", b"this is not an image, just text\n")
    assert verdict.content_type is None
    assert verdict.reason == "content is not an image: its bytes do not match the .png format"


def test_png_named_jpg_is_sent_as_png() -> None:
    verdict = judge_content("mislabeled.jpg", png_bytes())
    assert verdict.content_type == "image/png"
    assert "sent as image/png" in verdict.note


def test_png_named_pdf_is_refused() -> None:
    verdict = judge_content("report.pdf", png_bytes())
    assert verdict.content_type is None and "rename" in verdict.reason


@pytest.mark.parametrize(
    ("name", "head", "ok"),
    [
        ("notes.txt", b"plain words\n", True),
        ("prices.csv", b"a,b\n1,2\n", True),
        ("notes.txt", b"\x00\x01binary", False),
        ("vector.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', True),
        ("vector.svg", b"hello", False),
        ("clip.mov", b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", True),
        ("song.m4a", b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", True),
        ("deck.pptx", b"PK\x03\x04rest", True),
        ("deck.docx", b"not a zip", False),
    ],
)
def test_judge_content_table(name: str, head: bytes, ok: bool) -> None:
    assert (judge_content(name, head).content_type is not None) is ok
