"""Request checks shared by the /medias handlers: the location guard and class-validator-style
field rules, plus JSON body parsing.

GHL (NestJS) runs guards before validation pipes, so a wrong `altId` answers 403 even when
other fields are missing; missing or malformed fields are collected into one 422.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from mediasync.sandbox.errors import bad_request, forbidden_location, validation_error
from mediasync.sandbox.records import ALT_TYPE


def one_of(field: str, allowed: Iterable[str]) -> str:
    return f"{field} must be one of the following values: {', '.join(allowed)}"


def not_empty(field: str) -> str:
    return f"{field} should not be empty"


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_location(fields: Mapping[str, Any], location_id: str) -> list[str]:
    """Raise 403 for a foreign altId; return validation messages for altId/altType."""
    alt_id = fields.get("altId")
    if not is_blank(alt_id) and alt_id != location_id:
        raise forbidden_location()
    messages: list[str] = []
    if is_blank(alt_id):
        messages.append(not_empty("altId"))
    alt_type = fields.get("altType")
    if is_blank(alt_type):
        messages.append(not_empty("altType"))
    elif alt_type != ALT_TYPE:
        messages.append(one_of("altType", [ALT_TYPE]))
    return messages


def raise_if_invalid(messages: list[str]) -> None:
    if messages:
        raise validation_error(messages)


def string_field(
    body: Mapping[str, Any], field: str, *, required: bool
) -> tuple[str | None, list[str]]:
    """Read an optional or required string from a JSON body; blank counts as absent."""
    value = body.get(field)
    if is_blank(value):
        return None, [not_empty(field)] if required else []
    if not isinstance(value, str):
        return None, [f"{field} must be a string"]
    return value, []


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object; 400 like Nest's body parser for anything else."""
    raw = await request.read()
    try:
        body = json.loads(raw or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_request(f"Invalid JSON body: {exc}") from exc
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    return body


UNKNOWN_PARENT = "parentId must be the id of an existing folder"
