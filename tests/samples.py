"""Tiny files of every format mediasync judges, made on the spot with the standard library, and
the edge folder of the shared corpus rebuilt from them (tests never read ../shared)."""

from __future__ import annotations

import io
import struct
import wave
import zipfile
from pathlib import Path

from tests.helpers import png_bytes

# A baseline JPEG's markers (SOI, APP0 JFIF, a quantisation table, SOF0, EOI): what a camera's
# file starts with. No decoder is involved in judging, only the leading bytes.
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\xff\xdb\x00\x43\x00"
    + bytes(range(1, 65))
    + b"\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00"
    + b"\xff\xd9"
)

GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>\n'


def wav_bytes() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(b"\x80" * 80)
    return out.getvalue()


def bmp_bytes() -> bytes:
    pixels = b"\x00\x00\xff\x00"  # one red pixel, row padded to 4 bytes
    header = struct.pack("<IiiHHIIiiII", 40, 1, 1, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(header) + len(pixels), 0, 0, 54) + header + pixels


def ico_bytes() -> bytes:
    png = png_bytes(1, 1)
    return struct.pack("<HHHBBBBHHII", 0, 1, 1, 1, 1, 0, 0, 1, 32, len(png), 22) + png


def tiff_bytes() -> bytes:
    return b"II*\x00\x08\x00\x00\x00" + struct.pack("<H", 0) + b"\x00\x00\x00\x00"


def riff(kind: bytes, body: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + kind + body


def webp_bytes() -> bytes:
    return riff(b"WEBP", b"VP8L" + struct.pack("<I", 5) + b"\x2f\x00\x00\x00\x00\x00")


def avi_bytes() -> bytes:
    return riff(b"AVI ", b"LIST" + struct.pack("<I", 4) + b"hdrl")


def ftyp(brand: bytes) -> bytes:
    return struct.pack(">I", 24) + b"ftyp" + brand + b"\x00\x00\x02\x00" + brand + b"isom"


def zip_bytes(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes("[Content_Types].xml", "_rels/.rels", "word/document.xml")


MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10 + b"\xff\xfb\x90\x64" + b"\x00" * 64
MPEG_VIDEO = b"\x00\x00\x01\xba\x44\x00\x04\x00\x04\x01\x01\x89\xc3\xf8" + b"\x00" * 32
WEBM = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
    b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02" + b"\x00" * 16
)
OGG = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01vorbis" + b"\x00" * 24
AIFF = b"FORM\x00\x00\x00\x2eAIFFCOMM\x00\x00\x00\x12" + b"\x00" * 30
MIDI = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk\x00\x00\x00\x04\x00\xff\x2f\x00"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
TTF = b"\x00\x01\x00\x00\x00\x0a\x00\x80\x00\x03\x00\x20" + b"\x00" * 52
OTF = b"OTTO\x00\x0a\x00\x80\x00\x03\x00\x20" + b"\x00" * 52
WOFF = b"wOFF\x00\x01\x00\x00" + b"\x00" * 56
WOFF2 = b"wOF2\x00\x01\x00\x00" + b"\x00" * 56
RTF = b"{\\rtf1\\ansi Hello}\n"
VCF = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\nEND:VCARD\r\n"


def every_format() -> dict[str, tuple[bytes, str]]:
    """A file name per accepted kind, with its bytes and the Content-Type it must be sent as."""
    return {
        "a.png": (png_bytes(), "image/png"),
        "a.jpg": (JPEG, "image/jpeg"),
        "a.jpeg": (JPEG, "image/jpeg"),
        "a.gif": (GIF, "image/gif"),
        "a.webp": (webp_bytes(), "image/webp"),
        "a.tiff": (tiff_bytes(), "image/tiff"),
        "a.bmp": (bmp_bytes(), "image/bmp"),
        "a.ico": (ico_bytes(), "image/x-icon"),
        "a.svg": (SVG, "image/svg+xml"),
        "a.mp4": (ftyp(b"isom"), "video/mp4"),
        "a.mov": (ftyp(b"qt  "), "video/quicktime"),
        "a.avi": (avi_bytes(), "video/x-msvideo"),
        "a.webm": (WEBM, "video/webm"),
        "a.mpg": (MPEG_VIDEO, "video/mpeg"),
        "a.mp3": (MP3, "audio/mpeg"),
        "a.wav": (wav_bytes(), "audio/wav"),
        "a.m4a": (ftyp(b"M4A "), "audio/mp4"),
        "a.ogg": (OGG, "audio/ogg"),
        "a.aiff": (AIFF, "audio/aiff"),
        "a.mid": (MIDI, "audio/midi"),
        "a.pdf": (PDF, "application/pdf"),
        "a.doc": (OLE, "application/msword"),
        "a.docx": (
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        "a.xlsx": (
            zip_bytes("[Content_Types].xml", "xl/workbook.xml"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "a.zip": (zip_bytes("readme.txt"), "application/zip"),
        "a.rtf": (RTF, "application/rtf"),
        "a.txt": (b"plain words\n", "text/plain"),
        "a.csv": (b"sku,price\nA1,9.99\n", "text/csv"),
        "a.vcf": (VCF, "text/vcard"),
        "a.ttf": (TTF, "font/ttf"),
        "a.otf": (OTF, "font/otf"),
        "a.woff": (WOFF, "font/woff"),
        "a.woff2": (WOFF2, "font/woff2"),
    }


# The shared corpus's edge/ folder, file for file (../shared/corpus/README.md).
EDGE_UPLOADED = {
    "Café menu.jpg": "image/jpeg",
    "résumé (final) [v2].pdf": "application/pdf",
    "emoji 🎉 party.png": "image/png",
    "UPPER.JPG": "image/jpeg",
    "mislabeled.jpg": "image/png",
}
EDGE_REJECTED = {
    "noext": "no file extension",
    "fake.png": "content is not an image",
    "empty.png": "empty file",
}
EDGE_IGNORED = (
    "junk/.DS_Store",
    "junk/Thumbs.db",
    "junk/~$draft.docx",
    "junk/download.mp4.crdownload",
    "junk/photo.jpg.part",
    "junk/.clip.mp4.swp",
)


def make_edge(root: Path) -> Path:
    """Build the corpus's edge folder under `root` and return `root`."""
    root.mkdir(parents=True, exist_ok=True)
    contents = {
        "Café menu.jpg": JPEG,
        "résumé (final) [v2].pdf": PDF,
        "emoji 🎉 party.png": png_bytes(8, 8),
        "UPPER.JPG": JPEG,
        "noext": png_bytes(3, 3),
        "mislabeled.jpg": png_bytes(3, 3),
        "fake.png": b"this is plain text, not an image at all.\n",
        "empty.png": b"",
        "junk/.DS_Store": b"\x00\x00\x00\x01Bud1",
        "junk/Thumbs.db": OLE,
        "junk/~$draft.docx": b"owner file",
        "junk/download.mp4.crdownload": ftyp(b"isom"),
        "junk/photo.jpg.part": JPEG[:20],
        "junk/.clip.mp4.swp": b"b0VIM 9.0",
    }
    for name, data in contents.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


# Names users write that a careless client mangles: each must reach the library as it is.
HOSTILE = [
    'say "hi".png',
    "semi;colon.png",
    "100% off.png",
    "[brackets] (v2) {x}.png",
    "emoji 🎉 party.png",
    "-leading-dash.png",
    "--help.png",
    "Café menu.png",
    "back\\slash.png",
    "comma, and 'single'.png",
    "a" * 251 + ".png",  # 255 bytes: the longest name most file systems allow
    "é" * 125 + ".png",  # 254 bytes in UTF-8, 129 characters
]
