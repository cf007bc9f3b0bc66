"""What `sync --dry-run` shows: the plan, with each upload's content judged as the worker will
judge it, so that a text file named .png shows up as rejected before anything is sent."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from mediasync.models import Plan, Rejection
from mediasync.rules import SNIFF_BYTES, TypeRules, judge_content


def judge_uploads(plan: Plan, root: Path, rules: TypeRules | None = None) -> Plan:
    keep, refused = [], []
    for action in plan.uploads:
        reason = _content_problem(root, action.path, rules or TypeRules())
        if reason is None:
            keep.append(action)
        else:
            refused.append(Rejection(action.path, reason))
    rejections = tuple(sorted((*plan.rejections, *refused), key=lambda r: r.path))
    return replace(plan, uploads=tuple(keep), rejections=rejections)


def _content_problem(root: Path, path: str, rules: TypeRules) -> str | None:
    try:
        with (root / path).open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    verdict = judge_content(path, head, rules)
    return verdict.reason if verdict.content_type is None else None
