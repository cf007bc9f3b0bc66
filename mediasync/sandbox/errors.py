"""Error responses in the NestJS shape GHL uses: `{"statusCode", "message", "error"}`.

Handlers raise these instead of returning them so the middlewares can still decorate them
(rate-limit headers, counters) on the way out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from aiohttp import web

# Spelled out because http.HTTPStatus phrases change between Python versions
# (422 became "Unprocessable Content") and GHL sends the older NestJS wording.
_ERROR_NAMES: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
}

Message = str | Sequence[str]


class ApiError(web.HTTPException):
    """An HTTP error whose body is a JSON document."""

    def __init__(
        self,
        status: int,
        payload: Mapping[str, object],
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        # HTTPException reads the status from the class; one class for every status is
        # simpler than mirroring aiohttp's exception hierarchy.
        self.status_code = status
        super().__init__(
            headers=dict(headers) if headers else None,
            text=json.dumps(payload),
            content_type="application/json",
        )
        self.payload = dict(payload)


def nest_error(status: int, message: Message, *, with_error_name: bool = True) -> ApiError:
    """`{"statusCode": status, "message": message, "error": <reason>}`."""
    payload: dict[str, object] = {
        "statusCode": status,
        "message": message if isinstance(message, str) else list(message),
    }
    if with_error_name:
        payload["error"] = _ERROR_NAMES.get(status, "Error")
    return ApiError(status, payload)


def validation_error(messages: Sequence[str]) -> ApiError:
    """422 with the array-of-strings `message` that class-validator produces."""
    return nest_error(422, list(messages))


def unauthorized(message: str) -> ApiError:
    return nest_error(401, message)


def forbidden_location() -> ApiError:
    return nest_error(403, "The token does not have access to this location.")


def media_not_found() -> ApiError:
    return nest_error(404, "Media not found")


def route_not_found(method: str, path: str) -> ApiError:
    return nest_error(404, f"Cannot {method} {path}")


def bad_request(message: str) -> ApiError:
    return nest_error(400, message)


def too_many_requests(headers: Mapping[str, str]) -> ApiError:
    # GHL's observed 429 body has no "error" key.
    error = nest_error(429, "Too Many Requests", with_error_name=False)
    error.headers.update(headers)
    return error
