"""`mediasync oauth ...`: putting a Marketplace app's first tokens into the token file.

`import` takes tokens the user already holds (from standard input, never from the command
line, where every process listing would show them); `exchange` trades the code of the app's
redirect for them; `url` prints where to send the browser to get that code; `status` says
what the file holds without showing a token. Each refuses to overwrite a token file without
`--force`: its refresh token may be the only live one.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import click

from mediasync.config import OAuthSettings, Settings, credential_flaw, find_config
from mediasync.credentials import read_key, token_endpoint_for
from mediasync.errors import MediasyncError, UsageError
from mediasync.scan import printable as shown
from mediasync.targets import load_targets, only_one, select
from mediasync.tokenfile import TokenSet, file_lock, read_token_file, write_token_file

AUTHORIZE_URL = "https://marketplace.gohighlevel.com/v2/oauth/chooselocation"
SCOPES = "medias.readonly medias.write"
CONFIG_HELP = "Config file (default: $MEDIASYNC_CONFIG or ./mediasync.toml)."
FORCE_HELP = "Replace an existing token file (its refresh token stops being used)."
target_option = click.option(
    "-t", "--target", "target", metavar="NAME", help="The [targets.NAME] whose tokens these are."
)


@click.group()
def oauth() -> None:
    """Set up a Marketplace app's tokens for [remote] auth = "oauth"."""


@oauth.command("import")
@click.option("-c", "--config", "config_file", metavar="FILE", help=CONFIG_HELP)
@click.option("--force", is_flag=True, help=FORCE_HELP)
@target_option
def import_tokens(config_file: str | None, force: bool, target: str | None) -> None:
    """Store tokens read from standard input.

    Either the token endpoint's JSON answer (refresh_token, and optionally access_token,
    expires_in, locationId) or a line holding just the refresh token.
    """
    sys.exit(_guarded(lambda: _import(_oauth_settings(config_file, target), force)))


@oauth.command()
@click.option("-c", "--config", "config_file", metavar="FILE", help=CONFIG_HELP)
@click.option("--code", required=True, help="The code= of the app's redirect (single-use).")
@click.option("--redirect-uri", required=True, help="The app's redirect URI, as registered.")
@click.option("--force", is_flag=True, help=FORCE_HELP)
@target_option
def exchange(
    config_file: str | None, code: str, redirect_uri: str, force: bool, target: str | None
) -> None:
    """Trade an authorization code for the location's tokens and store them."""
    sys.exit(
        _guarded(
            lambda: _exchange(_oauth_settings(config_file, target), code, redirect_uri, force)
        )
    )


@oauth.command()
@click.option("-c", "--config", "config_file", metavar="FILE", help=CONFIG_HELP)
@click.option("--redirect-uri", required=True, help="The app's redirect URI, as registered.")
@target_option
def url(config_file: str | None, redirect_uri: str, target: str | None) -> None:
    """Print the address that installs the app on a sub-account and yields a code."""

    def run() -> int:
        _, oauth_settings = _oauth_settings(config_file, target)
        # The client id is public (it is in this very URL); only the secret is not.
        client_id = read_key(oauth_settings.client_id_env, "client id").value
        query = urlencode(
            {
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "client_id": client_id,
                "scope": SCOPES,
            }
        )
        click.echo(f"{AUTHORIZE_URL}?{query}")
        return 0

    sys.exit(_guarded(run))


@oauth.command()
@click.option("-c", "--config", "config_file", metavar="FILE", help=CONFIG_HELP)
@target_option
def status(config_file: str | None, target: str | None) -> None:
    """Say which location the token file is for and when its access token expires."""

    def run() -> int:
        _, oauth_settings = _oauth_settings(config_file, target)
        tokens = read_token_file(oauth_settings.token_file)
        left = tokens.expires_at - time.time()
        expiry = (
            f"the access token expires in {left:.0f} s"
            if tokens.access_token and left > 0
            else "no live access token: the next run refreshes first"
        )
        click.echo(
            f"{shown(str(oauth_settings.token_file))}: location {shown(tokens.location_id)}; "
            f"{expiry}"
        )
        return 0

    sys.exit(_guarded(run))


def _import(config: tuple[Settings, OAuthSettings], force: bool) -> int:
    settings, oauth_settings = config
    text = _read_stdin()
    tokens = _tokens_from_text(text, settings.location_id, time.time())
    asyncio.run(_store(oauth_settings.token_file, tokens, force))
    click.echo(_stored(oauth_settings.token_file, tokens))
    return 0


def _exchange(
    config: tuple[Settings, OAuthSettings], code: str, redirect_uri: str, force: bool
) -> int:
    settings, oauth_settings = config
    _refuse_overwrite(oauth_settings.token_file, force)
    endpoint = token_endpoint_for(settings, oauth_settings)

    async def run() -> TokenSet:
        try:
            tokens = await endpoint.exchange(code, redirect_uri)
        finally:
            await endpoint.aclose()
        # The code is spent now: store what it bought even if a file appeared meanwhile.
        await _store(oauth_settings.token_file, tokens, force=True)
        return tokens

    tokens = asyncio.run(run())
    click.echo(_stored(oauth_settings.token_file, tokens))
    return 0


async def _store(path: Path, tokens: TokenSet, force: bool) -> None:
    async with file_lock(path):
        _refuse_overwrite(path, force)
        write_token_file(path, tokens)


def _refuse_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise UsageError(
            f"{path} already holds tokens: pass --force to replace them (the refresh token "
            "in it will no longer be used)"
        )


def _stored(path: Path, tokens: TokenSet) -> str:
    detail = (
        "the access token is refreshed shortly before it expires"
        if tokens.access_token
        else "the first run fetches an access token"
    )
    return (
        f"stored the tokens of location {shown(tokens.location_id)} in {shown(str(path))} "
        f"(owner-only); {detail}"
    )


def _read_stdin() -> str:
    if sys.stdin.isatty():
        # Hidden, so the token is neither echoed nor left in the terminal's scrollback.
        return str(click.prompt("refresh token", hide_input=True, err=True))
    return sys.stdin.read()


def _tokens_from_text(text: str, location_id: str, now: float) -> TokenSet:
    text = text.strip()
    if not text:
        raise UsageError("nothing on standard input: pipe in the refresh token or the JSON")
    if not text.startswith("{"):
        lines = text.splitlines()
        if len(lines) != 1 or len(text.split()) != 1:
            raise UsageError(
                "standard input must be one line holding the refresh token, or the token "
                "endpoint's JSON answer"
            )
        return _checked(TokenSet("", text, 0.0, location_id))
    try:
        data: Any = json.loads(text)
    except ValueError:
        raise UsageError("standard input starts with { but is not valid JSON") from None
    if not isinstance(data, dict):
        raise UsageError("standard input must be a JSON object")
    refresh = data.get("refresh_token")
    if not isinstance(refresh, str) or not refresh:
        raise UsageError("the JSON on standard input has no refresh_token")
    location = data.get("locationId", location_id)
    if location != location_id:
        raise UsageError(
            f"these tokens are for location {shown(str(location))}, not [remote] location_id "
            f"{location_id}: import the tokens of this sub-account, or fix location_id"
        )
    access = data.get("access_token")
    lifetime = data.get("expires_in")
    if not isinstance(access, str) or not isinstance(lifetime, int | float):
        # Without its lifetime an access token cannot be trusted: fetch a fresh one first.
        return _checked(TokenSet("", refresh, 0.0, location_id))
    return _checked(TokenSet(access, refresh, now + float(lifetime), location_id, now))


def _checked(tokens: TokenSet) -> TokenSet:
    """`tokens`, unless one holds what the token file would refuse on the next run."""
    flaw = credential_flaw(tokens.access_token) or credential_flaw(tokens.refresh_token)
    if flaw is not None:
        raise UsageError(
            f"a token on standard input holds {flaw}: pipe in the token endpoint's JSON "
            "answer, or the refresh token alone on one line"
        )
    return tokens


def _oauth_settings(
    config_file: str | None, target: str | None
) -> tuple[Settings, OAuthSettings]:
    targets = select(load_targets(find_config(config_file)), target)
    settings = only_one(targets, "oauth").settings
    if settings.oauth is None:
        raise UsageError(
            'these commands are for [remote] auth = "oauth": set it in the config (see '
            "config.example.toml)"
        )
    return settings, settings.oauth


def _guarded(run: Callable[[], int]) -> int:
    try:
        return run()
    except MediasyncError as exc:
        click.echo(f"error: {shown(str(exc))}", err=True)
        return exc.exit_code
