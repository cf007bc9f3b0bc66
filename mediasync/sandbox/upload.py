"""`POST /medias/upload-file`: reads the multipart body as a stream and enforces the type
allow-list and size limits as early as the order of the form fields allows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from aiohttp import BodyPartReader, MultipartReader, hdrs, web
from aiohttp.multipart import content_disposition_filename, parse_content_disposition

from mediasync.sandbox.blobs import BlobWriter
from mediasync.sandbox.config import MB, SandboxConfig
from mediasync.sandbox.context import base_url_of, config_of, library_of
from mediasync.sandbox.counters import Event
from mediasync.sandbox.errors import ApiError, bad_request, nest_error, validation_error
from mediasync.sandbox.filetypes import (
    GENERIC_CONTENT_TYPE,
    extension_of,
    guess_content_type,
    is_allowed,
    is_video,
)
from mediasync.sandbox.ids import new_trace_id
from mediasync.sandbox.library import Library, UnknownFolderError
from mediasync.sandbox.validation import UNKNOWN_PARENT, is_blank, json_body, not_empty

UPLOAD_PATH = "/medias/upload-file"
CHUNK_BYTES = 64 * 1024
TEXT_FIELD_LIMIT = 64 * 1024
TEXT_FIELDS = frozenset({"name", "parentId", "hosted", "fileUrl"})
HOSTED_UNSUPPORTED = "hosted uploads are not supported by the sandbox"


@dataclass
class _Upload:
    """What has been read of the form so far."""

    fields: dict[str, str] = field(default_factory=dict)
    writer: BlobWriter | None = None
    filename: str = ""
    part_content_type: str | None = None

    @property
    def name(self) -> str:
        """The display name: the `name` field, else the file part's filename."""
        name = self.fields.get("name", "")
        return name if name.strip() else self.filename

    @property
    def extension(self) -> str:
        # A display name without an extension ("Logo") falls back to the filename's, so a
        # client may send a bare title as long as the file itself is of an allowed type.
        return extension_of(self.name) or extension_of(self.filename)

    @property
    def parent_id(self) -> str | None:
        return self.fields.get("parentId", "").strip() or None


def _limit_for(config: SandboxConfig, extension: str) -> int:
    return config.max_video_bytes if is_video(extension) else config.max_file_bytes


def _describe_size(limit: int) -> str:
    return f"{limit // MB} MB" if limit % MB == 0 else f"{limit} bytes"


def _oversize(config: SandboxConfig, limit: int) -> ApiError:
    message = f"File size exceeds the limit of {_describe_size(limit)}"
    if config.oversize_status == 413:
        return nest_error(413, message)
    return validation_error([message])


def _type_not_allowed(extension: str) -> ApiError:
    shown = f".{extension}" if extension else "(no extension)"
    return validation_error([f"File type not allowed: {shown}"])


def _content_type(declared: str | None, extension: str) -> str:
    """The part's own Content-Type unless it is absent or the generic octet-stream that
    most HTTP clients put on every file part."""
    if declared:
        essence = declared.split(";", 1)[0].strip().lower()
        if essence and essence != GENERIC_CONTENT_TYPE:
            return declared
    return guess_content_type(extension)


@functools.lru_cache(maxsize=256)
def _disposition(header: str | None) -> tuple[str | None, str | None]:
    """(name, filename) of a part, parsed as aiohttp parses them. Cached because aiohttp's
    parser is slow (it escapes a 128-character set on every call) and the text fields'
    headers are the same in every upload: this was a fifth of the sandbox's time per upload.
    """
    _, params = parse_content_disposition(header)
    return (
        content_disposition_filename(params, "name"),
        content_disposition_filename(params, "filename"),
    )


def _names(part: BodyPartReader) -> tuple[str | None, str | None]:
    return _disposition(part.headers.get(hdrs.CONTENT_DISPOSITION))


def _is_multipart(request: web.Request) -> bool:
    # request.content_type would parse the header with the email package, uncached because
    # every body has its own boundary; the prefix is all that is needed here.
    return request.headers.get(hdrs.CONTENT_TYPE, "").lstrip().lower().startswith("multipart/")


async def _read_text(part: BodyPartReader, name: str) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK_BYTES):
        data += chunk
        if len(data) > TEXT_FIELD_LIMIT:
            raise validation_error([f"{name} is too long"])
    return data.decode(part.get_charset(default="utf-8"), errors="replace")


async def _stream_file(
    part: BodyPartReader, upload: _Upload, config: SandboxConfig, library: Library
) -> None:
    upload.filename = _names(part)[1] or ""
    upload.part_content_type = part.headers.get(hdrs.CONTENT_TYPE)
    # Fields sent before the file can be judged before reading a byte of it; otherwise a
    # later `name` may still change the type, so only the largest limit applies meanwhile.
    if upload.parent_id is not None and not library.is_live_folder(upload.parent_id):
        raise validation_error([UNKNOWN_PARENT])
    cap = max(config.max_file_bytes, config.max_video_bytes)
    if "name" in upload.fields:
        if not is_allowed(upload.extension):
            raise _type_not_allowed(upload.extension)
        cap = _limit_for(config, upload.extension)
    writer = upload.writer = library.open_upload()
    while chunk := await part.read_chunk(CHUNK_BYTES):
        library.counters.add(Event.UPLOAD_BYTES_READ, len(chunk))
        if writer.size + len(chunk) > cap:
            raise _oversize(config, min(cap, _limit_for(config, upload.extension)))
        writer.write(chunk)


async def _read_form(
    reader: MultipartReader, upload: _Upload, config: SandboxConfig, library: Library
) -> None:
    try:
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                raise bad_request("Nested multipart bodies are not supported")
            name = _names(part)[0]
            if name == "file":
                if upload.writer is not None:
                    raise bad_request("Unexpected field")  # multer's words for a 2nd file
                await _stream_file(part, upload, config, library)
            elif name in TEXT_FIELDS:
                upload.fields[name] = await _read_text(part, name)
            else:
                # Community clients add altId/altType/locationId; GHL ignores them.
                await part.release()
    except (ValueError, RuntimeError, AssertionError) as exc:
        raise bad_request(f"Malformed multipart body: {exc}") from exc


async def _non_multipart_fields(request: web.Request) -> dict[str, str]:
    if request.content_type == "application/json":
        body = await json_body(request)
    else:
        body = dict(await request.post())
    return {key: str(value) for key, value in body.items() if key in TEXT_FIELDS}


def _accept(request: web.Request, upload: _Upload, config: SandboxConfig) -> web.Response:
    if upload.fields.get("hosted", "").strip().lower() == "true":
        if is_blank(upload.fields.get("fileUrl")):
            raise validation_error([not_empty("fileUrl")])
        raise validation_error([HOSTED_UNSUPPORTED])
    if upload.writer is None:
        raise validation_error([not_empty("file")])
    if is_blank(upload.name):
        raise validation_error([not_empty("name")])
    extension = upload.extension
    if not is_allowed(extension):
        raise _type_not_allowed(extension)
    limit = _limit_for(config, extension)
    if upload.writer.size > limit:
        raise _oversize(config, limit)
    try:
        record = library_of(request).add_file(
            upload.writer,
            name=upload.name,
            parent_id=upload.parent_id,
            content_type=_content_type(upload.part_content_type, extension),
            extension=extension,
        )
    except UnknownFolderError:
        raise validation_error([UNKNOWN_PARENT]) from None
    url = base_url_of(request) + record.hosted_path(config.location_id)
    return web.json_response(
        {"fileId": record.id, "url": url, "traceId": new_trace_id()},
        status=config.upload_status,
    )


async def upload_file(request: web.Request) -> web.Response:
    config = config_of(request)
    if not _is_multipart(request):
        # JSON (as the official SDKs send) or urlencoded bodies can carry the text fields
        # but never a file, so they end in the same 422s a multipart form without one does.
        return _accept(request, _Upload(fields=await _non_multipart_fields(request)), config)
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError, KeyError) as exc:
        raise bad_request("Multipart: Boundary not found") from exc
    upload = _Upload()
    try:
        await _read_form(reader, upload, config, library_of(request))
        return _accept(request, upload, config)
    finally:
        if upload.writer is not None:
            upload.writer.discard()  # no-op once committed
