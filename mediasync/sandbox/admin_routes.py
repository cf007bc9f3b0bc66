"""Sandbox-only endpoints under /_sandbox for tests and demo scripts; no auth, not counted."""

from __future__ import annotations

from aiohttp import web

from mediasync.sandbox.context import LIBRARY, RATE_LIMITER


async def get_stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[LIBRARY].stats())


async def reset(request: web.Request) -> web.Response:
    """Empty the library and forget counters and rate budgets, as if freshly started."""
    request.app[LIBRARY].reset()
    request.app[RATE_LIMITER].reset()
    return web.json_response({"reset": True})
