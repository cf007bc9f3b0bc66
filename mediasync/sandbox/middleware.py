"""The layers every request passes through, outermost first: traffic counting, rate limiting
(/medias only), the Version/token guard (/medias only), fault injection (/medias only), and
GHL-shaped JSON for errors that aiohttp itself would answer in plain text.
"""

from __future__ import annotations

import asyncio
import logging
import math

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from mediasync.sandbox.context import FAULTS, LIBRARY, RATE_LIMITER, TOKENS, config_of
from mediasync.sandbox.counters import Event
from mediasync.sandbox.errors import (
    nest_error,
    route_not_found,
    too_many_requests,
    unauthorized,
)
from mediasync.sandbox.fault_effects import apply_fault

API_PREFIX = "/medias"
ADMIN_PREFIX = "/_sandbox/"
CLIENT_CLOSED_REQUEST = 499
"""nginx's status for requests the client abandoned; only ever seen in the counters."""
ACCEPTED_VERSIONS = frozenset({"2021-07-28", "2021-04-15", "2023-02-21", "v3"})

_log = logging.getLogger(__name__)


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def route_label(request: web.Request) -> str:
    """`"GET /medias/files"`-style name of the route a request hit, for the counters."""
    resource = request.match_info.route.resource
    if resource is None:
        return f"{request.method} (unmatched)"
    return f"{request.method} {resource.canonical}"


def bearer_token(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(ADMIN_PREFIX):
        return await handler(request)
    counters = request.app[LIBRARY].counters
    label = route_label(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        counters.record_request(label, exc.status)
        raise
    except asyncio.CancelledError:
        # aiohttp cancels handlers of vanished clients when handler_cancellation is on.
        counters.record_request(label, CLIENT_CLOSED_REQUEST)
        raise
    counters.record_request(label, response.status)
    return response


@web.middleware
async def rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Spend budget and stamp the x-ratelimit-* headers on every /medias response.

    The header names are written lowercase on purpose: that is how GHL sends them, and
    aiohttp keeps the spelling it is given.
    """
    if not is_api_path(request.path):
        return await handler(request)
    decision = request.app[RATE_LIMITER].hit(bearer_token(request) or "")
    if not decision.allowed:
        request.app[LIBRARY].counters.add(Event.RATE_LIMITED)
        headers = dict(decision.headers)
        if config_of(request).retry_after_on_429:
            headers["Retry-After"] = str(max(1, math.ceil(decision.retry_after_seconds)))
        raise too_many_requests(headers)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(decision.headers)
        raise
    response.headers.update(decision.headers)
    return response


@web.middleware
async def guard_api(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Version header first (the gateway routes on it), then the bearer token."""
    if not is_api_path(request.path) or request.match_info.http_exception is not None:
        return await handler(request)
    version = request.headers.get("Version", "").strip()
    if not version:
        raise unauthorized("version header was not found.")
    if version not in ACCEPTED_VERSIONS:
        raise unauthorized("version header is invalid")
    token = bearer_token(request) or ""
    # Expired OAuth tokens get the same answer as wrong ones: GHL's docs show no other.
    if token != config_of(request).token and not request.app[TOKENS].accepts(token):
        raise unauthorized("Invalid token: access token is invalid")
    return await handler(request)


@web.middleware
async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Maybe fail the request as the fault plan says.

    Sits inside the rate limiter and the guard, so a 429 or 401 request is never also
    faulted, while a faulted one has spent budget like any request that reached the server.
    """
    if not is_api_path(request.path) or request.match_info.http_exception is not None:
        return await handler(request)
    fault = request.app[FAULTS].draw()
    if fault is None:
        return await handler(request)
    counters = request.app[LIBRARY].counters
    counters.record_fault(fault.kind)
    return await apply_fault(
        fault, request, handler, sleep=config_of(request).sleep, counters=counters
    )


@web.middleware
async def nest_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    unmatched = request.match_info.http_exception
    if unmatched is not None and unmatched.status in (404, 405):
        # NestJS answers wrong methods the same way as wrong paths.
        raise route_not_found(request.method, request.path)
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as exc:
        if isinstance(exc, ConnectionError) or request.transport is None:
            # The client went away mid-request (typically an aborted upload): nobody will
            # read a response, and a traceback would only alarm whoever reads the logs.
            _log.debug("client left during %s %s: %r", request.method, request.path, exc)
            raise nest_error(CLIENT_CLOSED_REQUEST, "Client closed request") from exc
        _log.exception("sandbox handler failed for %s %s", request.method, request.path)
        raise nest_error(500, "Internal server error") from exc


MIDDLEWARES = (count_requests, rate_limit, guard_api, inject_faults, nest_errors)
