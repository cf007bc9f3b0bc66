"""Assembly of the sandbox web application: state, middlewares and the route table."""

from __future__ import annotations

import email.utils

from aiohttp import hdrs, web

from mediasync.sandbox import admin_routes, hosted_routes, media_routes, oauth_routes, upload
from mediasync.sandbox.config import SandboxConfig
from mediasync.sandbox.context import CONFIG, FAULTS, LIBRARY, RATE_LIMITER, TOKENS
from mediasync.sandbox.fault_injector import FaultInjector
from mediasync.sandbox.library import Library
from mediasync.sandbox.middleware import MIDDLEWARES
from mediasync.sandbox.ratelimit import RateLimiter
from mediasync.sandbox.tokens import TokenIssuer


def create_app(config: SandboxConfig | None = None) -> web.Application:
    config = config or SandboxConfig()
    app = web.Application(middlewares=MIDDLEWARES)
    app[CONFIG] = config
    app[LIBRARY] = Library(config.location_id, config.clock, config.data_dir)
    app[RATE_LIMITER] = RateLimiter(
        max_requests=config.rate_max,
        interval_ms=config.rate_interval_ms,
        daily_limit=config.daily_limit,
        clock=config.clock,
    )
    app[FAULTS] = FaultInjector(config.faults)
    app[TOKENS] = TokenIssuer(
        config.clock, config.access_token_ttl, config.oauth_refresh_token, config.oauth_code
    )
    # Fixed paths first: aiohttp tries resources in order and /medias/{id} would
    # otherwise swallow /medias/folder and friends.
    app.router.add_get("/medias/files", media_routes.list_files)
    app.router.add_post(upload.UPLOAD_PATH, upload.upload_file)
    app.router.add_post("/medias/folder", media_routes.create_folder)
    app.router.add_put("/medias/update-files", media_routes.bulk_update)
    app.router.add_put("/medias/delete-files", media_routes.bulk_delete)
    app.router.add_post("/medias/{id}", media_routes.update_one)
    app.router.add_delete("/medias/{id}", media_routes.delete_one)
    app.router.add_get(hosted_routes.HOSTED_ROUTE, hosted_routes.serve_hosted)
    app.router.add_post(oauth_routes.TOKEN_PATH, oauth_routes.token)
    app.router.add_post("/_sandbox/oauth/code", admin_routes.new_oauth_code)
    app.router.add_get("/_sandbox/stats", admin_routes.get_stats)
    app.router.add_post("/_sandbox/reset", admin_routes.reset)
    app.router.add_get("/_sandbox/faults", admin_routes.get_faults)
    app.router.add_post("/_sandbox/faults", admin_routes.set_faults)
    app.on_response_prepare.append(_date_by_our_clock)
    return app


async def _date_by_our_clock(request: web.Request, response: web.StreamResponse) -> None:
    # One clock stamps both, as on the real service: clients read Date to learn how far
    # their clock is from the one that dates createdAt.
    moment = request.app[CONFIG].clock()
    response.headers[hdrs.DATE] = email.utils.formatdate(moment, usegmt=True)
