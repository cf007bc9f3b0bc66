"""Which uploads the Media Library accepts, judged by file extension, and their content types.

The allow-list is the Media Library UI's list (fact sheet section 4); the API's own list is
undocumented. The content types are spelled out rather than taken from `mimetypes` because
the host's mime.types database differs between machines and the sandbox must be deterministic.
"""

from __future__ import annotations

from types import MappingProxyType

_CONTENT_TYPES: dict[str, str] = {
    # images
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
    # video
    "avi": "video/x-msvideo",
    "mov": "video/quicktime",
    "qt": "video/quicktime",
    "mp4": "video/mp4",
    "mpg": "video/mpeg",
    "mpeg": "video/mpeg",
    "ogv": "video/ogg",
    "wmv": "video/x-ms-wmv",
    "asf": "video/x-ms-asf",
    "webm": "video/webm",
    "m4v": "video/x-m4v",
    # audio
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
    "m4a": "audio/mp4",
    # documents
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pptm": "application/vnd.ms-powerpoint.presentation.macroEnabled.12",
    "numbers": "application/vnd.apple.numbers",
    "rtf": "application/rtf",
    "txt": "text/plain",
    "zip": "application/zip",
    "csv": "text/csv",
    # fonts
    "ttf": "font/ttf",
    "otf": "font/otf",
    "woff": "font/woff",
    "woff2": "font/woff2",
    # contacts
    "vcf": "text/vcard",
}

CONTENT_TYPES = MappingProxyType(_CONTENT_TYPES)
ALLOWED_EXTENSIONS = frozenset(_CONTENT_TYPES)

# "mpeg" is listed under both video and audio in the UI help; it gets the (larger or equal)
# video limit so a legitimate video is never rejected.
VIDEO_EXTENSIONS = frozenset(
    {"avi", "mov", "qt", "mp4", "mpg", "mpeg", "ogv", "wmv", "asf", "webm", "m4v"}
)

GENERIC_CONTENT_TYPE = "application/octet-stream"


def extension_of(name: str) -> str:
    """Lower-case extension without the dot; "" when the name has none."""
    base = name.rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem:
        return ""
    return ext.lower()


def is_allowed(extension: str) -> bool:
    return extension in ALLOWED_EXTENSIONS


def is_video(extension: str) -> bool:
    return extension in VIDEO_EXTENSIONS


def guess_content_type(extension: str) -> str:
    return CONTENT_TYPES.get(extension, GENERIC_CONTENT_TYPE)
