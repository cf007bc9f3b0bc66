"""What `sync --dry-run` and `status` show: the plan, with each upload's content judged as the
worker will judge it, so that a text file named .png shows up as rejected before anything is
sent, and with a replace whose bytes did not change (only its mtime moved) shown as unchanged.
Reads files; never writes anything or asks the network."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from mediasync.engine import SyncOptions, make_plan
from mediasync.errors import RootError
from mediasync.models import Action, ActionKind, Plan, Rejection, SyncState
from mediasync.rules import SNIFF_BYTES, TypeRules, judge_content
from mediasync.state import StateStore


@dataclass(frozen=True, slots=True)
class Preview:
    """What a sync would do now, and the problems the last run recorded (path, kind, reason)."""

    plan: Plan
    last_problems: tuple[tuple[str, str, str], ...] = ()


def preview(options: SyncOptions, state_file: Path, location_id: str) -> Preview:
    """Plan against the state as it stands, reading it only: no lock, no file, no request."""
    store = StateStore.open_existing(state_file, location_id, options.root_folder)
    try:
        state = store.snapshot() if store else SyncState()
        problems = tuple(store.problems()) if store else ()
    finally:
        if store:
            store.close()
    plan = make_plan(options, state)
    if plan.fatal:
        raise RootError(plan.fatal)
    return Preview(judge_uploads(plan, options.root, options.policy.types), problems)


def judge_uploads(plan: Plan, root: Path, rules: TypeRules | None = None) -> Plan:
    keep, refused, same = [], [], 0
    for action in plan.uploads:
        reason = _content_problem(root, action.path, rules or TypeRules())
        if reason is not None:
            refused.append(Rejection(action.path, reason))
        elif _same_bytes(root, action):
            same += 1
        else:
            keep.append(action)
    rejections = tuple(sorted((*plan.rejections, *refused), key=lambda r: r.path))
    return replace(
        plan, uploads=tuple(keep), rejections=rejections, unchanged=plan.unchanged + same
    )


def _content_problem(root: Path, path: str, rules: TypeRules) -> str | None:
    try:
        with (root / path).open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        return f"cannot read: {exc.strerror}; check its permissions"
    verdict = judge_content(path, head, rules)
    return verdict.reason if verdict.content_type is None else None


def _same_bytes(root: Path, action: Action) -> bool:
    """A replace the worker would find unchanged: same size and the recorded hash."""
    previous, local = action.previous, action.local
    if action.kind is not ActionKind.REPLACE or previous is None or previous.sha256 is None:
        return False
    if local is None or local.size != previous.size:
        return False
    digest = hashlib.sha256()
    try:
        with (root / action.path).open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
    except OSError:
        return False
    return digest.hexdigest() == previous.sha256
