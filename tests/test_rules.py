"""Type, size and ignore rules, judged the way the corpus README expects."""

from __future__ import annotations

import fnmatch

import pytest

from mediasync.formats import TEXT_FORMATS, detect
from mediasync.rules import (
    DEFAULT_IGNORE,
    REJECT,
    SNIFF_BYTES,
    TypeRules,
    Verdict,
    check_name_and_size,
    extension_of,
    is_ignored,
    judge_content,
)
from tests.helpers import EXAMPLES, png_bytes
from tests.samples import (
    JPEG,
    MP3,
    OLE,
    WEBM,
    docx_bytes,
    every_format,
    ftyp,
    webp_bytes,
    zip_bytes,
)

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
        ("noext", 0, "empty file"),
        ("tool.exe", 10, "file type .exe"),
        ("empty.png", 0, "empty file"),
        ("big.jpg", 26 * MB, "too large: 26.0 MB is over the 25.0 MB limit for image files"),
        (
            "just.jpg",
            25 * MB + 1,
            "too large: 26,214,401 bytes is over the 25.0 MB (26,214,400 bytes) limit for image "
            "files",
        ),
        ("film.mp4", 26 * MB, None),
        ("film.mp4", 101 * MB, "too large: 101.0 MB is over the 100.0 MB limit for video files"),
        ("song.mp3", 11 * MB, "too large: 11.0 MB is over the 10.0 MB limit for audio files"),
        ("font.woff2", 2 * MB, "too large: 2.0 MB is over the 1.0 MB limit for font files"),
        ("pic.bmp", 10, ".bmp files are turned off by [rules] image_types"),
    ],
)
def test_name_and_size(path: str, size: int, reason: str | None) -> None:
    rules = TypeRules.of(
        allowed={"image": {"png", "jpg"}},
        limits={"video": 100 * MB, "audio": 10 * MB, "font": 1 * MB},
    )
    found = check_name_and_size(path, size, rules)
    if reason is None:
        assert found is None
    else:
        assert found is not None and found.startswith(reason)
        assert ": " in found, "every reason says what to do"


def test_a_file_without_extension_is_refused_naming_the_one_to_give_it() -> None:
    assert check_name_and_size("dir/noext", 10, TypeRules()) is None
    assert judge_content("dir/noext", png_bytes()) == Verdict(
        None,
        "no file extension: the Media Library needs one; the content is image/png, so rename "
        "it to noext.png",
    )
    verdict = judge_content("README", b"just words")
    assert verdict.content_type is None
    assert verdict.reason.startswith("no file extension, and the content is no format")


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
def test_example_media_is_recognised_and_accepted(name: str, mime: str) -> None:
    head = (EXAMPLES / name).read_bytes()[:SNIFF_BYTES]
    verdict = judge_content(name, head)
    assert verdict == Verdict(mime)


@pytest.mark.parametrize(("name", "sample"), sorted(every_format().items()))
def test_every_accepted_format_is_recognised_by_content(
    name: str, sample: tuple[bytes, str]
) -> None:
    data, mime = sample
    assert judge_content(name, data) == Verdict(mime)
    assert check_name_and_size(name, len(data), TypeRules()) is None


@pytest.mark.parametrize(("name", "sample"), sorted(every_format().items()))
def test_a_binary_format_under_a_text_name_is_never_sent_as_text(
    name: str, sample: tuple[bytes, str]
) -> None:
    data, mime = sample
    ext = name.rpartition(".")[2]
    if ext in TEXT_FORMATS:
        return
    # A document is sent with its true type (any zip as a zip), anything else is refused.
    assert judge_content("notes.txt", data).content_type in (None, mime, "application/zip")


def test_text_named_png_is_rejected() -> None:
    verdict = judge_content("fake.png", b"this is not an image, just text\n")
    assert verdict.content_type is None
    assert verdict.reason.startswith(
        "content is not an image: its bytes do not match the .png format"
    )


def test_png_named_jpg_is_sent_as_png_by_default() -> None:
    verdict = judge_content("mislabeled.jpg", png_bytes())
    assert verdict.content_type == "image/png"
    assert "sent as image/png" in verdict.note


def test_png_named_jpg_is_refused_when_mismatches_are_rejected() -> None:
    verdict = judge_content("mislabeled.jpg", png_bytes(), TypeRules.of(mismatch=REJECT))
    assert verdict.content_type is None
    assert verdict.reason == (
        'content is image/png but the name says .jpg: rename it to .png, or set [rules] '
        'mismatch = "send-true-type"'
    )


def test_true_type_must_itself_be_allowed() -> None:
    rules = TypeRules.of(allowed={"image": {"jpg"}})
    verdict = judge_content("mislabeled.jpg", png_bytes(), rules)
    assert verdict.content_type is None and "rename it to .png" in verdict.reason


def test_png_named_pdf_is_refused() -> None:
    verdict = judge_content("report.pdf", png_bytes())
    assert verdict.content_type is None and "rename" in verdict.reason


def test_zip_named_docx_is_accepted_and_docx_named_zip_too() -> None:
    assert judge_content("deck.docx", zip_bytes("a.txt")).content_type is not None
    assert judge_content("bundle.zip", docx_bytes()) == Verdict("application/zip")


@pytest.mark.parametrize(
    ("name", "head", "ok"),
    [
        ("notes.txt", b"plain words\n", True),
        ("prices.csv", b"a,b\n1,2\n", True),
        ("notes.txt", b"\x00\x01binary", False),
        ("vector.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', True),
        ("vector.svg", b"\xef\xbb\xbf  <svg/>", True),
        ("vector.svg", b"hello", False),
        ("letter.rtf", b"plain, not rtf", False),
        ("card.vcf", b"not a card", False),
        ("clip.mov", b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", True),
        ("song.m4a", b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", True),
        ("deck.pptx", b"PK\x03\x04rest", True),
        ("deck.docx", b"not a zip", False),
        ("a.png", b"", False),
    ],
)
def test_judge_content_table(name: str, head: bytes, ok: bool) -> None:
    assert (judge_content(name, head).content_type is not None) is ok


def test_detect_names_our_format_or_nothing() -> None:
    found = detect(png_bytes())
    assert found is not None and (found.ext, found.category) == ("png", "image")
    assert detect(b"just some words") is None


@pytest.mark.parametrize(
    ("name", "head", "mime"),
    [
        ("a.cur", b"\x00\x00\x02\x00\x01\x00\x10\x10\x00\x00" + bytes(40), "image/x-icon"),
        ("a.aifc", b"FORM\x00\x00\x00\x2eAIFCFVER" + bytes(30), "audio/aiff"),
        ("a.mpeg", MP3, "audio/mpeg"),
        ("a.m4v", ftyp(b"M4V "), "video/mp4"),
        ("a.qt", ftyp(b"qt  "), "video/quicktime"),
        ("a.ogv", b"OggS\x00\x02" + bytes(20) + b"\x80theora" + bytes(20), "video/ogg"),
        ("a.numbers", zip_bytes("Index/Document.iwa"), "application/x-iwork-numbers-sffnumbers"),
        ("a.xls", OLE, "application/vnd.ms-excel"),
        ("a.mov", b"\x00\x00\x00\x08wide\x00\x00\x00\x00mdat", "video/quicktime"),
        ("a.weba", WEBM, "audio/webm"),
        ("a.jfif", JPEG, "image/jpeg"),
        ("a.mpg", b"\x00\x00\x01\xb3\x14\x00\xf0\x13" + bytes(30), "video/mpeg"),
        ("a.txt", b"caf\xe9 in latin-1", "text/plain"),
        ("a.csv", b"\xef\xbb\xbfa;b\r\n1;2", "text/csv"),
        ("a.svg", b"<!-- made by hand --><svg/>", "image/svg+xml"),
    ],
)
def test_every_spelling_of_a_format_is_accepted(name: str, head: bytes, mime: str) -> None:
    assert judge_content(name, head) == Verdict(mime)


@pytest.mark.parametrize(
    ("name", "data", "sent_as"),
    [
        ("photo.png", JPEG, "image/jpeg"),
        ("photo.jpg", webp_bytes(), "image/webp"),
        ("song.wav", MP3, "audio/mpeg"),
        ("clip.avi", ftyp(b"isom"), "video/mp4"),
        ("doc.pdf", zip_bytes("a.txt"), "application/zip"),
    ],
)
def test_same_category_mismatches_are_sent_as_what_they_are(
    name: str, data: bytes, sent_as: str
) -> None:
    verdict = judge_content(name, data)
    assert verdict.content_type == sent_as and sent_as in verdict.note
    assert judge_content(name, data, TypeRules.of(mismatch=REJECT)).content_type is None
