"""Where `HttpLibrary` gets its Authorization header: the `Authorizer` seam.

`StaticToken` is a Private Integration Token, sent as it is until it is refused;
`remote.oauth.OAuthAuthorizer` is a Marketplace app's location token, refreshed as it expires.
"""

from __future__ import annotations

from typing import Protocol

from mediasync.config import Secret

PIT_ADVICE = (
    "check that the environment variable holds a current Private Integration Token of this "
    "sub-account"
)


class Authorizer(Protocol):
    async def authorization(self) -> Secret:
        """The Authorization header value for the next request, renewed first if it is due."""

    async def renew(self, refused: Secret) -> bool:
        """The server called `refused` invalid: True when a different one is ready to retry with."""

    @property
    def advice(self) -> str:
        """What to do when the server refuses the credential for good."""

    async def aclose(self) -> None:
        """Release whatever the authorizer opened."""


class StaticToken:
    """A token that never changes: a refusal is final."""

    def __init__(self, token: Secret) -> None:
        self._header = Secret(f"Bearer {token.value}")

    async def authorization(self) -> Secret:
        return self._header

    async def renew(self, refused: Secret) -> bool:
        return False

    @property
    def advice(self) -> str:
        return PIT_ADVICE

    async def aclose(self) -> None:
        return None
