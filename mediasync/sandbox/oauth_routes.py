"""`POST /oauth/token`: the refresh_token and authorization_code grants (ghl-media-api.md §8).

The request form and the success body follow GHL's docs. The error bodies are invented: GHL
documents none, so they follow RFC 6749 §5.2 (`{"error": "invalid_grant",
"error_description": ...}`, 400; `invalid_client`, 401).
"""

from __future__ import annotations

from aiohttp import web

from mediasync.sandbox.context import TOKENS, config_of
from mediasync.sandbox.errors import ApiError
from mediasync.sandbox.ids import new_trace_id
from mediasync.sandbox.tokens import Grant

TOKEN_PATH = "/oauth/token"
FORM = "application/x-www-form-urlencoded"
SCOPE = "medias.readonly medias.write"


async def token(request: web.Request) -> web.Response:
    if request.content_type != FORM:
        raise _oauth_error(400, "invalid_request", f"the body must be {FORM}")
    form = await request.post()
    config = config_of(request)

    def field(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    if field("client_id") != config.oauth_client_id or (
        field("client_secret") != config.oauth_client_secret
    ):
        raise _oauth_error(401, "invalid_client", "client authentication failed")
    if field("user_type") not in ("", "Location"):
        raise _oauth_error(400, "invalid_request", "the sandbox only grants Location tokens")
    issuer = request.app[TOKENS]
    grant_type = field("grant_type")
    if grant_type == "refresh_token":
        if not field("refresh_token"):
            raise _oauth_error(400, "invalid_request", "refresh_token is required")
        grant = issuer.redeem_refresh_token(field("refresh_token"))
        if grant is None:
            raise _oauth_error(
                400, "invalid_grant", "the refresh token is invalid, expired or already used"
            )
    elif grant_type == "authorization_code":
        if not field("code") or not field("redirect_uri"):
            raise _oauth_error(400, "invalid_request", "code and redirect_uri are required")
        grant = issuer.redeem_code(field("code"))
        if grant is None:
            raise _oauth_error(
                400, "invalid_grant", "the authorization code is invalid or already used"
            )
    else:
        raise _oauth_error(
            400, "unsupported_grant_type", "grant_type must be refresh_token or authorization_code"
        )
    return web.json_response(_success_body(grant, config.location_id))


def _success_body(grant: Grant, location_id: str) -> dict[str, object]:
    return {
        "access_token": grant.access_token,
        "token_type": "Bearer",
        "expires_in": grant.expires_in,
        "refresh_token": grant.refresh_token,
        "scope": SCOPE,
        "userType": "Location",
        "locationId": location_id,
        "companyId": "sbxCompany0000000001",
        "userId": "sbxUser00000000000001",
        "traceId": new_trace_id(),
    }


def _oauth_error(status: int, code: str, description: str) -> ApiError:
    return ApiError(status, {"error": code, "error_description": description})
