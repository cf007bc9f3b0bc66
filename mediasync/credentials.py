"""Which credential a configuration asks for, built from the environment and the token file.

The composition root calls `authorizer_for`; nothing else reads the app's keys. The keys and
tokens are wrapped in `Secret` from the moment they are read.
"""

from __future__ import annotations

from mediasync.config import OAuthSettings, Secret, Settings, read_token, secret_from_env
from mediasync.remote.auth import Authorizer, StaticToken
from mediasync.remote.oauth import OAuthAuthorizer
from mediasync.remote.token_endpoint import TokenEndpoint


def authorizer_for(settings: Settings) -> Authorizer:
    """A StaticToken for `auth = "pit"`; an OAuthAuthorizer over the token file for "oauth"."""
    if settings.oauth is None:
        return StaticToken(read_token(settings))
    return OAuthAuthorizer(
        token_endpoint_for(settings, settings.oauth),
        settings.oauth.token_file,
        settings.location_id,
    )


def token_endpoint_for(settings: Settings, oauth: OAuthSettings) -> TokenEndpoint:
    return TokenEndpoint(
        oauth.token_url,
        read_key(oauth.client_id_env, "client id"),
        read_key(oauth.client_secret_env, "client secret"),
        settings.location_id,
        key_hint=f"the environment variables {oauth.client_id_env} and {oauth.client_secret_env}",
        timeout=min(settings.timeout, 60.0),
    )


def read_key(variable: str, what: str) -> Secret:
    return secret_from_env(
        variable,
        what,
        f"no {what}: set the environment variable {variable} to the Marketplace app's "
        f"{what} ([remote] auth = \"oauth\"; see README, Use a Marketplace app)",
    )
