"""The public "CDN" that upload URLs point at: `GET`/`HEAD /hosted/<location>/media/<id>.<ext>`.

Like GHL's storage URLs it needs no auth and no headers and is not rate-limited.
"""

from __future__ import annotations

from aiohttp import web

from mediasync.sandbox.context import config_of, library_of
from mediasync.sandbox.ids import is_object_id

HOSTED_ROUTE = "/hosted/{location_id}/media/{object_name}"


async def serve_hosted(request: web.Request) -> web.StreamResponse:
    config = config_of(request)
    library = library_of(request)
    media_id, _, extension = request.match_info["object_name"].partition(".")
    record = None
    if request.match_info["location_id"] == config.location_id and is_object_id(media_id):
        record = library.get(media_id, include_inactive=config.serve_deleted)
    if record is None or record.kind != "file" or record.extension != extension.lower():
        raise web.HTTPNotFound(text="Not Found")
    headers = {"Content-Type": record.content_type}
    blob_path = library.blob_path(record.id)
    if blob_path is not None:
        # Streams from disk (with Range/ETag support) instead of loading big videos in memory.
        return web.FileResponse(blob_path, headers=headers)
    return web.Response(body=library.content(record.id), headers=headers)
