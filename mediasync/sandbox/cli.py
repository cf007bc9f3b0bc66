"""Command-line options of `python -m mediasync.sandbox`, turned into a SandboxConfig."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mediasync.sandbox.config import (
    MB,
    OVERSIZE_STATUSES,
    TRIAL_DAILY_LIMIT,
    TRIAL_RATE_MAX,
    UPLOAD_STATUSES,
    SandboxConfig,
)
from mediasync.sandbox.faults import FAULT_PRESETS, FaultPlan, parse_fault_spec
from mediasync.sandbox.server import serve

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787


def build_parser() -> argparse.ArgumentParser:
    defaults = SandboxConfig()
    parser = argparse.ArgumentParser(
        prog="mediasync sandbox",
        description="Run a local emulator of the GoHighLevel Media Library API v2.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="interface to bind (%(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--token", default=defaults.token, help="accepted bearer token")
    parser.add_argument("--location-id", default=defaults.location_id)
    parser.add_argument("--oauth-client-id", default=defaults.oauth_client_id)
    parser.add_argument("--oauth-client-secret", default=defaults.oauth_client_secret)
    parser.add_argument(
        "--oauth-refresh-token",
        default=defaults.oauth_refresh_token,
        help="the refresh token accepted first (single-use; each refresh rotates it)",
    )
    parser.add_argument(
        "--oauth-code", default=defaults.oauth_code, help="an authorization code accepted once"
    )
    parser.add_argument(
        "--access-token-ttl",
        type=int,
        default=defaults.access_token_ttl,
        metavar="S",
        help="seconds an issued OAuth access token lives (%(default)s)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="persist the library here (default: in memory only)",
    )
    parser.add_argument(
        "--trial",
        action="store_true",
        help=f"trial-account limits: {TRIAL_RATE_MAX}/10 s and {TRIAL_DAILY_LIMIT}/day",
    )
    parser.add_argument(
        "--rate-max",
        type=int,
        default=None,
        metavar="N",
        help=f"requests per interval (default {defaults.rate_max})",
    )
    parser.add_argument(
        "--rate-interval-ms", type=int, default=defaults.rate_interval_ms, metavar="MS"
    )
    parser.add_argument(
        "--daily-limit",
        type=int,
        default=None,
        metavar="N",
        help=f"requests per day (default {defaults.daily_limit})",
    )
    parser.add_argument(
        "--max-file-mb",
        type=float,
        default=defaults.max_file_bytes / MB,
        metavar="N",
        help="size limit for non-video files (%(default)s)",
    )
    parser.add_argument(
        "--max-video-mb",
        type=float,
        default=defaults.max_video_bytes / MB,
        metavar="N",
        help="size limit for video files (%(default)s; v3 says 500)",
    )
    parser.add_argument(
        "--upload-status", type=int, choices=UPLOAD_STATUSES, default=defaults.upload_status
    )
    parser.add_argument(
        "--oversize-status", type=int, choices=OVERSIZE_STATUSES, default=defaults.oversize_status
    )
    parser.add_argument(
        "--list-limit-cap",
        type=int,
        default=defaults.list_limit_cap,
        metavar="N",
        help="most items one list page returns",
    )
    parser.add_argument(
        "--public-base-url",
        default=None,
        metavar="URL",
        help="scheme://host[:port] for hosted URLs (default: from each request)",
    )
    parser.add_argument(
        "--retry-after",
        action="store_true",
        help="add a Retry-After header to 429s (GHL never sends one)",
    )
    parser.add_argument(
        "--serve-deleted", action="store_true", help="keep serving hosted URLs of deleted files"
    )
    parser.add_argument(
        "--faults",
        default=None,
        metavar="SPEC",
        help=(
            f"inject failures into /medias requests: a preset ({', '.join(FAULT_PRESETS)}) "
            "or rates like 500:0.05,502:0.05,503:0.05,cmd401:0.02,reset:0.05,drop:0.05,"
            "slow:0.05 (default none)"
        ),
    )
    parser.add_argument(
        "--fault-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed the fault dice so a run can be repeated (default: random)",
    )
    parser.add_argument(
        "--slow-seconds",
        type=float,
        default=None,
        metavar="S",
        help="how late a 'slow' fault answers (default: the spec's, else 2)",
    )
    return parser


def build_config_from_args(
    argv: Sequence[str] | None = None,
) -> tuple[SandboxConfig, str, int]:
    """Parse the command line into (config, host, port); explicit limits beat --trial."""
    parser = build_parser()
    args = parser.parse_args(argv)
    settings: dict[str, Any] = {
        "token": args.token,
        "location_id": args.location_id,
        "oauth_client_id": args.oauth_client_id,
        "oauth_client_secret": args.oauth_client_secret,
        "oauth_refresh_token": args.oauth_refresh_token,
        "oauth_code": args.oauth_code,
        "access_token_ttl": args.access_token_ttl,
        "data_dir": args.data,
        "rate_interval_ms": args.rate_interval_ms,
        "max_file_bytes": int(args.max_file_mb * MB),
        "max_video_bytes": int(args.max_video_mb * MB),
        "upload_status": args.upload_status,
        "oversize_status": args.oversize_status,
        "list_limit_cap": args.list_limit_cap,
        "public_base_url": args.public_base_url,
        "retry_after_on_429": args.retry_after,
        "serve_deleted": args.serve_deleted,
    }
    if args.rate_max is not None:
        settings["rate_max"] = args.rate_max
    if args.daily_limit is not None:
        settings["daily_limit"] = args.daily_limit
    try:
        settings["faults"] = _fault_plan(args)
        config = SandboxConfig.trial(**settings) if args.trial else SandboxConfig(**settings)
    except ValueError as exc:
        parser.error(str(exc))  # exits with status 2 and the usage line, like argparse's own
    return config, args.host, args.port


def _fault_plan(args: argparse.Namespace) -> FaultPlan:
    """--faults, with --fault-seed and --slow-seconds beating whatever the spec says."""
    plan = parse_fault_spec(args.faults) if args.faults is not None else FaultPlan()
    overrides = {"seed": args.fault_seed, "slow_seconds": args.slow_seconds}
    return plan.with_changes(
        **{key: value for key, value in overrides.items() if value is not None}
    )


def main(argv: Sequence[str] | None = None) -> int:
    config, host, port = build_config_from_args(argv)
    try:
        serve(config, host, port)
    except OSError as exc:
        print(f"sandbox: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0
