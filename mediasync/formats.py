"""The formats the Media Library accepts, and what a file's leading bytes say it is.

Binary formats are recognised by `puremagic` (a maintained, pure-Python signature database,
typed; chosen over `filetype`, which knows neither OLE documents (doc/xls/ppt) nor SVG).
Text formats (txt, csv, vcf, rtf, svg) carry no reliable signature, so they get a small check
of their own here. The Content-Type sent is always taken from this module's table, never from
the library, whose MIME spellings vary ("audio/x-wav", "image/x-ms-bmp", "").
"""

from __future__ import annotations

from dataclasses import dataclass

import puremagic

IMAGE, VIDEO, AUDIO, DOCUMENT, FONT = "image", "video", "audio", "document", "font"
CATEGORIES: tuple[str, ...] = (IMAGE, VIDEO, AUDIO, DOCUMENT, FONT)

# Extension → (category, Content-Type sent): the Media Library help article's list (fact sheet
# section 4), plus bmp and m4v, which browsers and cameras produce and the library plays.
FORMATS: dict[str, tuple[str, str]] = {
    "png": (IMAGE, "image/png"),
    "jpg": (IMAGE, "image/jpeg"),
    "jpeg": (IMAGE, "image/jpeg"),
    "jfif": (IMAGE, "image/jpeg"),
    "pjpeg": (IMAGE, "image/jpeg"),
    "pjp": (IMAGE, "image/jpeg"),
    "gif": (IMAGE, "image/gif"),
    "tif": (IMAGE, "image/tiff"),
    "tiff": (IMAGE, "image/tiff"),
    "webp": (IMAGE, "image/webp"),
    "svg": (IMAGE, "image/svg+xml"),
    "ico": (IMAGE, "image/x-icon"),
    "cur": (IMAGE, "image/x-icon"),
    "bmp": (IMAGE, "image/bmp"),
    "avi": (VIDEO, "video/x-msvideo"),
    "mov": (VIDEO, "video/quicktime"),
    "qt": (VIDEO, "video/quicktime"),
    "mp4": (VIDEO, "video/mp4"),
    "m4v": (VIDEO, "video/mp4"),
    "mpg": (VIDEO, "video/mpeg"),
    "ogv": (VIDEO, "video/ogg"),
    "wmv": (VIDEO, "video/x-ms-wmv"),
    "asf": (VIDEO, "video/x-ms-asf"),
    "webm": (VIDEO, "video/webm"),
    "aif": (AUDIO, "audio/aiff"),
    "aiff": (AUDIO, "audio/aiff"),
    "aifc": (AUDIO, "audio/aiff"),
    "mid": (AUDIO, "audio/midi"),
    "midi": (AUDIO, "audio/midi"),
    "wav": (AUDIO, "audio/wav"),
    "oga": (AUDIO, "audio/ogg"),
    "ogg": (AUDIO, "audio/ogg"),
    "weba": (AUDIO, "audio/webm"),
    "mp3": (AUDIO, "audio/mpeg"),
    "mpeg": (AUDIO, "audio/mpeg"),
    "m4a": (AUDIO, "audio/mp4"),
    "pdf": (DOCUMENT, "application/pdf"),
    "doc": (DOCUMENT, "application/msword"),
    "docx": (
        DOCUMENT,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xls": (DOCUMENT, "application/vnd.ms-excel"),
    "xlsx": (DOCUMENT, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "xlsm": (DOCUMENT, "application/vnd.ms-excel.sheet.macroEnabled.12"),
    "ppt": (DOCUMENT, "application/vnd.ms-powerpoint"),
    "pptx": (
        DOCUMENT,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "pptm": (DOCUMENT, "application/vnd.ms-powerpoint.presentation.macroEnabled.12"),
    "numbers": (DOCUMENT, "application/x-iwork-numbers-sffnumbers"),
    "rtf": (DOCUMENT, "application/rtf"),
    "txt": (DOCUMENT, "text/plain"),
    "csv": (DOCUMENT, "text/csv"),
    "zip": (DOCUMENT, "application/zip"),
    "vcf": (DOCUMENT, "text/vcard"),
    "ttf": (FONT, "font/ttf"),
    "otf": (FONT, "font/otf"),
    "woff": (FONT, "font/woff"),
    "woff2": (FONT, "font/woff2"),
}

# Extensions that name one container format: bytes proving any member prove them all. A zip
# cannot tell a .docx from a .zip by its first bytes, nor an ISO-BMFF file its brand's intent.
# The first member is what an ambiguous answer is taken for.
_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("jpg", "jpeg", "jfif", "pjpeg", "pjp", "jpe"),
    ("tiff", "tif"),
    ("ico", "cur"),
    ("bmp", "dib"),
    ("mp4", "m4v", "m4a", "mov", "qt", "3gp", "f4a", "f4v", "m4b"),
    ("mpg", "mpeg", "vob", "m2p"),
    ("mp3", "mpeg", "mpga", "mp2"),
    ("ogg", "oga", "ogv", "ogx", "opus", "spx"),
    ("webm", "weba", "mkv", "mka"),
    ("wmv", "asf", "wma"),
    ("aiff", "aif", "aifc"),
    ("mid", "midi"),
    ("doc", "xls", "ppt", "msi", "msg", "pps", "dot", "xlt", "pot", "spo", "opt"),
    ("zip", "docx", "docm", "xlsx", "xlsm", "xlsb", "pptx", "pptm", "numbers", "odt", "jar"),
)
_ZIP = _FAMILIES[-1]

TEXT_FORMATS = frozenset({"txt", "csv", "vcf", "svg", "rtf"})

# Enough for every signature the library checks that sits at the start of a file.
HEAD_BYTES = 8192


@dataclass(frozen=True, slots=True)
class Detected:
    """What the bytes are, as one of our formats: its extension, category and Content-Type."""

    ext: str
    category: str
    content_type: str


def same_family(a: str, b: str) -> bool:
    return a == b or any(a in family and b in family for family in _FAMILIES)


def candidates(head: bytes) -> list[str]:
    """Extensions of ours the leading bytes are consistent with, likeliest first; [] for none.

    Only the library's signatures of our own formats are tried (see _OUR_SIGNATURES): the
    answer is what `puremagic.magic_string` gives, less the formats we never accept.
    """
    if not head:
        return []
    try:
        matches = _identify(head[: puremagic.main.max_head], head[-puremagic.main.max_foot :])
    except puremagic.PureError:
        return []
    found: list[str] = []
    for match in matches:
        ext = _ext_of(match)
        if ext in _RELEVANT and ext not in found:
            found.append(ext)
    return found


def _ext_of(row: puremagic.main.PureMagic | puremagic.main.PureMagicWithConfidence) -> str:
    return str(row.extension).lstrip(".").lower()


# Formats whose signatures can decide a verdict: ours, and their families' other members.
_RELEVANT = frozenset(FORMATS).union(*(f for f in _FAMILIES if set(f) & set(FORMATS)))


def _our_signatures() -> tuple[puremagic.main.PureMagic, ...]:
    """The library's leading-byte signatures that can lead to one of our formats: those of
    our formats, and the stems its multi-part signatures (RIFF → WAV, WEBP, AVI) grow from."""
    return tuple(
        row
        for row in puremagic.main.magic_header_array
        if _ext_of(row) in _RELEVANT or row.byte_match in puremagic.main.multi_part_dict
    )


# The library tries each of its ~1,400 signatures in a Python loop, 0.24 ms a file: a tenth of
# what a small upload costs (docs/benchmarks.md). Our formats need about 220 of them, and a
# signature can only match where the head holds its first byte at its offset.
_OUR_SIGNATURES = _our_signatures()


def _by_first_byte() -> dict[int, dict[int, list[tuple[int, puremagic.main.PureMagic]]]]:
    """offset → first byte → (position in the library's order, signature)."""
    index: dict[int, dict[int, list[tuple[int, puremagic.main.PureMagic]]]] = {}
    for order, row in enumerate(_OUR_SIGNATURES):
        index.setdefault(row.offset, {}).setdefault(row.byte_match[0], []).append((order, row))
    return index


_INDEX = _by_first_byte()


def _identify(
    header: bytes, footer: bytes
) -> list[puremagic.main.PureMagicWithConfidence]:
    """puremagic's own matching (`puremagic.main._identify_all`), over our signatures only;
    tests/test_formats.py checks it answers as the library does."""
    lib = puremagic.main
    hits = [
        (order, row)
        for offset, by_byte in _INDEX.items()
        if offset < len(header)
        for order, row in by_byte.get(header[offset], ())
        if header.startswith(row.byte_match, offset)
    ]
    matches = [row for _, row in sorted(hits, key=lambda hit: hit[0])]
    for row in lib.magic_footer_array:
        end = row.offset + len(row.byte_match)
        if (footer[row.offset : end] if end != 0 else footer[row.offset :]) == row.byte_match:
            matches.append(row)
    grown = set()
    for matched in matches:
        for part in lib.multi_part_dict.get(matched.byte_match, ()):
            end = part.offset + len(part.byte_match)
            if part.offset < 0:
                area = footer[part.offset : end] if end != 0 else footer[part.offset :]
                stem = matched.byte_match + part.byte_match
            else:
                area = header[part.offset : end] if end <= len(header) else b""
                stem = header[matched.offset : end]
            if area == part.byte_match:
                grown.add(part._replace(byte_match=stem))
    return lib._confidence([*matches, *grown])


def content_matches(ext: str, head: bytes) -> bool:
    """True when the bytes are a file of the format `ext` names (text formats: see below)."""
    if ext in TEXT_FORMATS:
        return text_problem(ext, head) is None
    return any(same_family(ext, found) for found in candidates(head))


def detect(head: bytes) -> Detected | None:
    """The accepted format the bytes most likely are, or None when they prove none of ours."""
    for found in candidates(head):
        if found in TEXT_FORMATS:
            # The library guesses text formats from a few characters ("{" → rtf or json):
            # only our own check may call bytes text.
            continue
        # A zip's first bytes never say which zip-based format it is: call it a zip.
        preferred = () if found in _ZIP else (found,)
        for ext in (*preferred, *_family_members(found)):
            if ext in FORMATS:
                category, content_type = FORMATS[ext]
                return Detected(ext, category, content_type)
    for ext in ("svg", "rtf"):
        if text_problem(ext, head) is None:
            category, content_type = FORMATS[ext]
            return Detected(ext, category, content_type)
    return None


def text_problem(ext: str, head: bytes) -> str | None:
    """Why `head` is not the start of a .`ext` text file, or None when it may well be."""
    if b"\x00" in head:
        return f"content is binary, not the text a .{ext} file holds"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if ext == "svg" and b"<svg" not in start[:4096] and not start.startswith(b"<?xml"):
        return "content is not an SVG image (no <svg> or <?xml> at the start)"
    if ext == "rtf" and not start.startswith(b"{\\rtf"):
        return "content is not RTF (it does not start with {\\rtf)"
    if ext == "vcf" and not start.startswith(b"begin:vcard"):
        return "content is not a vCard (it does not start with BEGIN:VCARD)"
    return None


def _family_members(ext: str) -> list[str]:
    members: list[str] = []
    for family in _FAMILIES:
        if ext in family:
            members.extend(m for m in family if m != ext)
    return members
