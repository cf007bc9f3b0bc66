"""`TokenEndpoint`: GHL's `POST /oauth/token` (ghl-media-api.md §8), the refresh and the
authorization-code grants, for one location.

This is the one boundary where the token endpoint's answers and aiohttp's errors become
mediasync errors. Neither the tokens nor the client secret ever enter a message: a refusal is
described by its status and its OAuth error code only.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from mediasync.config import Secret, credential_flaw
from mediasync.errors import AuthError, RetryableError
from mediasync.tokenfile import TokenSet

DEFAULT_LIFETIME = 86399.0
"""What GHL documents for `expires_in`; assumed when an answer leaves it out."""


class TokenEndpoint:
    def __init__(
        self,
        url: str,
        client_id: Secret,
        client_secret: Secret,
        location_id: str,
        *,
        key_hint: str = "the app's client id and secret",
        timeout: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._url = url
        self._client = {"client_id": client_id.value, "client_secret": client_secret.value}
        self._location = location_id
        self._key_hint = key_hint
        self._timeout = timeout
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None

    async def refresh(self, refresh_token: str) -> TokenSet:
        """Trade a refresh token (single-use) for a new access and refresh token."""
        return await self._grant(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}, refresh_token
        )

    async def exchange(self, code: str, redirect_uri: str) -> TokenSet:
        """Trade the code from the app's redirect for the location's first tokens."""
        return await self._grant(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}, ""
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _grant(self, grant: dict[str, str], previous_refresh: str) -> TokenSet:
        form = {**self._client, **grant, "user_type": "Location"}
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout, sock_connect=30)
            )
        what = f"the token endpoint {self._url}"
        try:
            async with self._session.post(
                self._url, data=form, headers={"Accept": "application/json"}
            ) as response:
                status = response.status
                body = await _json_or_none(response)
        except TimeoutError as exc:
            raise RetryableError(f"{what} timed out", None, ambiguous=False) from exc
        except aiohttp.ClientError as exc:
            # Not ambiguous for the caller's upload, which has not been sent; a refresh whose
            # answer was lost may have rotated the token, and only a retry can tell.
            raise RetryableError(
                f"{what} could not be reached ({type(exc).__name__})", None, ambiguous=False
            ) from exc
        issued_at = self._clock()
        if status == 429 or status >= 500:
            raise RetryableError(f"{what} answered {status}", status, ambiguous=False)
        if not 200 <= status < 300:
            raise self._refusal(grant["grant_type"], status, body)
        return self._tokens_from(body, previous_refresh, issued_at)

    def _refusal(self, grant_type: str, status: int, body: Any) -> AuthError:
        code = _error_code(body)
        said = f"{status} {code}".rstrip()
        if code == "invalid_client":
            return AuthError(
                f"the token endpoint refused the app ({said}): check that {self._key_hint} "
                "hold the Marketplace app's client id and client secret"
            )
        if grant_type == "authorization_code":
            return AuthError(
                f"the token endpoint refused the authorization code ({said}): codes are "
                "single-use and short-lived, and the redirect URI must be the app's; "
                "authorise the app again and exchange the new code at once"
            )
        return AuthError(
            f"the token endpoint refused the refresh token ({said}): it was revoked, expired "
            "or already used; re-authorise the Marketplace app for this sub-account, then run "
            "`mediasync oauth exchange` (or `oauth import`) to store new tokens"
        )

    def _tokens_from(self, body: Any, previous_refresh: str, issued_at: float) -> TokenSet:
        if not isinstance(body, dict):
            raise RetryableError("the token endpoint answered without JSON", None, False)
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise AuthError("the token endpoint answered without an access token")
        refresh = body.get("refresh_token")
        flaw = credential_flaw(access) or (
            credential_flaw(refresh) if isinstance(refresh, str) else None
        )
        if flaw is not None:
            # Stored, it would make every later request fail in its Authorization header.
            raise AuthError(
                f"the token endpoint {self._url} answered with a token that holds {flaw}: "
                "check that [remote] token_url is GoHighLevel's token endpoint"
            )
        location = body.get("locationId")
        # A token of another sub-account would upload into the wrong library.
        if location is not None and location != self._location:
            raise AuthError(
                f"the token endpoint issued a token for location {_printable(location)}, not "
                f"[remote] location_id {self._location}: authorise the app on sub-account "
                f"{self._location}, or fix location_id"
            )
        lifetime = body.get("expires_in")
        seconds = (
            float(lifetime)
            if isinstance(lifetime, int | float) and not isinstance(lifetime, bool)
            else DEFAULT_LIFETIME
        )
        return TokenSet(
            access_token=access,
            refresh_token=refresh if isinstance(refresh, str) and refresh else previous_refresh,
            expires_at=issued_at + seconds,
            location_id=self._location,
            issued_at=issued_at,
        )


async def _json_or_none(response: aiohttp.ClientResponse) -> Any:
    try:
        return await response.json(content_type=None)
    except ValueError:
        return None


def _error_code(body: Any) -> str:
    """The OAuth `error` code (`invalid_grant`, ...), or "" when it is not one."""
    code = body.get("error") if isinstance(body, dict) else None
    if isinstance(code, str) and re.fullmatch(r"[a-z_]{1,40}", code):
        return code
    return ""


def _printable(value: object) -> str:
    text = str(value)
    return text if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", text) else "(not an id)"
