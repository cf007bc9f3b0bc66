"""JSON handlers of the Media Library API: list, create folder, rename, delete, and the bulk
rename/delete operations. Uploads live in `upload.py`.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from aiohttp import web

from mediasync.sandbox.context import base_url_of, config_of, library_of
from mediasync.sandbox.errors import media_not_found, validation_error
from mediasync.sandbox.ids import new_trace_id
from mediasync.sandbox.library import SORT_FIELDS, SortField, UnknownFolderError
from mediasync.sandbox.records import Kind, render_item
from mediasync.sandbox.validation import (
    UNKNOWN_PARENT,
    check_location,
    is_blank,
    json_body,
    not_empty,
    one_of,
    raise_if_invalid,
    string_field,
)

SORT_ORDERS = ("asc", "desc")
KINDS = ("file", "folder")
REMOVAL_STATUSES = ("deleted", "trashed")


def _int_param(name: str, raw: str | None, minimum: int) -> tuple[int | None, list[str]]:
    if raw is None or not raw.strip():
        return None, []
    try:
        value = int(raw)
    except ValueError:
        return None, [f"{name} must be an integer number"]
    if value < minimum:
        return None, [f"{name} must not be less than {minimum}"]
    return value, []


async def list_files(request: web.Request) -> web.Response:
    """`GET /medias/files`: one page of files or folders; no total, no cursor."""
    config = config_of(request)
    params = request.query
    messages = check_location(params, config.location_id)
    for name in ("sortBy", "sortOrder", "type"):
        if is_blank(params.get(name)):
            messages.append(not_empty(name))
    sort_by = params.get("sortBy", "")
    if sort_by and sort_by not in SORT_FIELDS:
        messages.append(one_of("sortBy", SORT_FIELDS))
    sort_order = params.get("sortOrder", "")
    if sort_order and sort_order not in SORT_ORDERS:
        messages.append(one_of("sortOrder", SORT_ORDERS))
    kind = params.get("type", "")
    if kind and kind not in KINDS:
        messages.append(one_of("type", KINDS))
    offset, problems = _int_param("offset", params.get("offset"), 0)
    messages += problems
    limit, problems = _int_param("limit", params.get("limit"), 1)
    messages += problems
    raise_if_invalid(messages)

    page_size = min(limit or config.list_default_limit, config.list_limit_cap)
    start = offset or 0
    items = library_of(request).list_items(
        kind=cast(Kind, kind),
        parent_id=params.get("parentId") or None,
        everywhere=params.get("fetchAll", "").lower() == "true",
        query=params.get("query") or None,
        sort_by=cast(SortField, sort_by),
        descending=sort_order == "desc",
    )
    base_url = base_url_of(request)
    page = [render_item(r, config.location_id, base_url) for r in items[start : start + page_size]]
    return web.json_response({"files": page})


async def create_folder(request: web.Request) -> web.Response:
    """`POST /medias/folder`: answers the FolderDTO plus its `_id`."""
    config = config_of(request)
    body = await json_body(request)
    messages = check_location(body, config.location_id)
    name, problems = string_field(body, "name", required=True)
    messages += problems
    parent_id, problems = string_field(body, "parentId", required=False)
    messages += problems
    raise_if_invalid(messages)
    assert name is not None
    try:
        folder = library_of(request).add_folder(name=name, parent_id=parent_id)
    except UnknownFolderError:
        raise validation_error([UNKNOWN_PARENT]) from None
    payload = render_item(folder, config.location_id, base_url_of(request))
    payload["traceId"] = new_trace_id()
    return web.json_response(payload, status=config.folder_status)


async def update_one(request: web.Request) -> web.Response:
    """`POST /medias/{id}`: rename a file or folder (the only documented update)."""
    config = config_of(request)
    body = await json_body(request)
    messages = check_location(body, config.location_id)
    name, problems = string_field(body, "name", required=True)
    messages += problems
    raise_if_invalid(messages)
    assert name is not None
    if library_of(request).rename(request.match_info["id"], name) is None:
        raise media_not_found()
    return web.json_response({"updated": True, "traceId": new_trace_id()})


async def delete_one(request: web.Request) -> web.Response:
    """`DELETE /medias/{id}`: soft delete, cascading into folders; 404 once it is gone."""
    config = config_of(request)
    raise_if_invalid(check_location(request.query, config.location_id))
    if not library_of(request).remove(request.match_info["id"]):
        raise media_not_found()
    return web.json_response({"traceId": new_trace_id()})


def _item_list(body: dict[str, Any], field: str) -> tuple[list[dict[str, Any]], list[str]]:
    items = body.get(field)
    if items is None:
        return [], [not_empty(field)]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return [], [f"{field} must be an array of objects"]
    return items, []


async def bulk_update(request: web.Request) -> web.Response:
    """`PUT /medias/update-files`: rename many; `updated: false` for unknown ids."""
    config = config_of(request)
    body = await json_body(request)
    messages = check_location(body, config.location_id)
    items, problems = _item_list(body, "filesToBeUpdated")
    messages += problems
    for index, item in enumerate(items):
        if string_field(item, "id", required=True)[1]:
            messages.append(f"filesToBeUpdated.{index}.id must be a string")
        if string_field(item, "name", required=False)[1]:
            messages.append(f"filesToBeUpdated.{index}.name must be a string")
    raise_if_invalid(messages)
    library = library_of(request)
    results = []
    for item in items:
        media_id = str(item["id"])
        name = item.get("name")
        if isinstance(name, str) and name.strip():
            updated = library.rename(media_id, name) is not None
        else:
            updated = library.get(media_id) is not None
        results.append({"updated": updated, "id": media_id})
    return web.json_response(results)


async def bulk_delete(request: web.Request) -> web.Response:
    """`PUT /medias/delete-files`: delete or trash many; `deleted: false` for unknown ids."""
    config = config_of(request)
    body = await json_body(request)
    messages = check_location(body, config.location_id)
    items, problems = _item_list(body, "filesToBeDeleted")
    messages += problems
    for index, item in enumerate(items):
        if string_field(item, "_id", required=True)[1]:
            messages.append(f"filesToBeDeleted.{index}._id must be a string")
    status = body.get("status")
    if is_blank(status):
        messages.append(not_empty("status"))
    elif status not in REMOVAL_STATUSES:
        messages.append(one_of("status", REMOVAL_STATUSES))
    raise_if_invalid(messages)
    library = library_of(request)
    removal = cast(Literal["deleted", "trashed"], status)
    results = [
        {"deleted": library.remove(str(item["_id"]), removal), "id": str(item["_id"])}
        for item in items
    ]
    return web.json_response(results)
