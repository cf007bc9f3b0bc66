"""Sandbox-only endpoints under /_sandbox for tests and demo scripts; no auth, not counted."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mediasync.sandbox.context import FAULTS, LIBRARY, RATE_LIMITER, TOKENS
from mediasync.sandbox.errors import bad_request
from mediasync.sandbox.faults import parse_fault_spec
from mediasync.sandbox.validation import json_body


async def get_stats(request: web.Request) -> web.Response:
    return web.json_response({**request.app[LIBRARY].stats(), "oauth": request.app[TOKENS].stats()})


async def new_oauth_code(request: web.Request) -> web.Response:
    """`{"code": ...}`: a fresh authorization code, as if the app had been installed again."""
    return web.json_response({"code": request.app[TOKENS].new_code()})


async def reset(request: web.Request) -> web.Response:
    """Empty the library and forget counters and rate budgets, as if freshly started.

    The fault plan stays: a test that switched faults on expects them to survive a reset.
    """
    request.app[LIBRARY].reset()
    request.app[RATE_LIMITER].reset()
    return web.json_response({"reset": True})


async def get_faults(request: web.Request) -> web.Response:
    return web.json_response(request.app[FAULTS].plan.to_json())


_PLAN_OVERRIDES: tuple[tuple[str, tuple[type, ...], str], ...] = (
    ("seed", (int,), "an integer"),
    ("slow_seconds", (int, float), "a number"),
    ("command_timeout_after_store", (bool,), "a boolean"),
)


def _plan_overrides(body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key, types, description in _PLAN_OVERRIDES:
        value = body.get(key)
        if value is None:
            continue
        # JSON true/false are ints to isinstance; only the boolean knob may take them.
        if isinstance(value, bool) is not (bool in types) or not isinstance(value, types):
            raise bad_request(f"{key} must be {description}")
        changes[key] = value
    return changes


async def set_faults(request: web.Request) -> web.Response:
    """`{"spec": "chaos", "seed": 7}`: replace the fault plan (and restart its random stream).

    `seed`, `slow_seconds` and `command_timeout_after_store` override what the spec says.
    """
    body = await json_body(request)
    spec = body.get("spec")
    if not isinstance(spec, str):
        raise bad_request('spec must be a string such as "chaos" or "500:0.1,drop:0.05"')
    try:
        plan = parse_fault_spec(spec).with_changes(**_plan_overrides(body))
    except ValueError as exc:
        raise bad_request(str(exc)) from exc
    request.app[FAULTS].set_plan(plan)
    return web.json_response(plan.to_json())
