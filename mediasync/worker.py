"""One action in, one outcome out: re-stat, validate, then upload or delete with retries.

Workers never write state and never raise for a single file's trouble: they return an Outcome.
Only fatal errors (a refused token, say) escape, to stop the whole run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from mediasync.delivery import Parcel, deliver, hash_file
from mediasync.diskio import DiskAccess
from mediasync.errors import (
    LocalFileError,
    MediasyncError,
    NotFoundError,
    RejectedError,
    RemoteError,
    is_fatal,
)
from mediasync.models import (
    RESTORED,
    SYNCED,
    Action,
    ActionKind,
    LocalFile,
    Outcome,
    OutcomeKind,
    StateEntry,
    UploadResult,
    parent_of,
    remote_name,
)
from mediasync.remote import RemoteLibrary
from mediasync.remote.hosted import Finding
from mediasync.retrying import RetryPolicy, call_with_retries
from mediasync.rules import SNIFF_BYTES, TypeRules, check_name_and_size, judge_content
from mediasync.scan import restat

# Probes a just-uploaded hosted URL for the bytes sent (their sha256): None when they match.
Verify = Callable[[str, str], Awaitable[Finding | None]]

UPLOADS = frozenset(
    {ActionKind.UPLOAD, ActionKind.REPLACE, ActionKind.RESTORE, ActionKind.RENAME, ActionKind.MOVE}
)

# How many times a file that changes while it is being sent is sent again before giving up.
CONTENT_ROUNDS = 3

RETRY_NEXT = "; skipped, the next sync tries it again"


@dataclass(frozen=True, slots=True)
class WorkerContext:
    root: Path
    remote: RemoteLibrary
    retry: RetryPolicy
    folder_ids: Mapping[str, str | None]
    types: TypeRules
    clock: Callable[[], float]
    known_ids: Collection[str] = frozenset()
    # `sync --verify`: does the new hosted URL serve the bytes sent (None: yes)?
    verify: Verify | None = None
    disk: DiskAccess = field(default_factory=DiskAccess)


async def perform(action: Action, ctx: WorkerContext) -> Outcome:
    try:
        if action.kind in UPLOADS:
            return await _upload(action, ctx)
        return await _delete(action, ctx)
    except LocalFileError as exc:
        # The file's own trouble found before anything was sent (gone, unreadable), not the
        # remote's: skipped with a reason and tried again next run; it neither fails the run
        # nor holds deletes back.
        return Outcome(OutcomeKind.REJECTED, action, reason=f"{_one_line(exc)}{RETRY_NEXT}")
    except MediasyncError as exc:
        if is_fatal(exc):
            raise
        return Outcome(OutcomeKind.FAILED, action, reason=_failure(exc))
    except Exception as exc:
        # One file's surprise (a library quirk, say) must not stop the others.
        reason = f"unexpected error ({type(exc).__name__}: {_one_line(exc)}){RETRY_NEXT}"
        return Outcome(OutcomeKind.FAILED, action, reason=reason)


async def _upload(action: Action, ctx: WorkerContext) -> Outcome:
    # One call for the stat and the leading bytes (see diskio.py for where it runs).
    current, head = await ctx.disk.call(_look, ctx.root, action.path)
    if current is None:
        return Outcome(
            OutcomeKind.REJECTED, action, reason=f"vanished before it could be sent{RETRY_NEXT}"
        )
    reason = check_name_and_size(action.path, current.size, ctx.types)
    if reason is not None:
        return Outcome(OutcomeKind.REJECTED, action, reason=reason)
    if isinstance(head, OSError):
        raise LocalFileError(f"cannot read: {head.strerror}") from head
    verdict = judge_content(action.path, head, ctx.types)
    if verdict.content_type is None:
        return Outcome(OutcomeKind.REJECTED, action, reason=verdict.reason)

    previous = action.previous
    restoring = action.kind is ActionKind.RESTORE
    moving = action.kind is ActionKind.MOVE  # no move API: always sent anew
    copy_gone = False  # a renamed file whose old copy is no longer in the library
    if previous is not None and previous.sha256 is not None and not (restoring or moving):
        digest = await hash_file(ctx.root / action.path)
        if digest == previous.sha256:
            touched = replace(
                previous, path=action.path, size=current.size, mtime_ns=current.mtime_ns
            )
            if action.kind is not ActionKind.RENAME:
                return Outcome(OutcomeKind.UNCHANGED, action, entry=touched)
            if await _rename_remote(previous.remote_id, action.path, ctx):
                note = f"renamed from {previous.path}; its URL stays"
                return Outcome(OutcomeKind.RENAMED, action, entry=touched, reason=note)
            copy_gone = True  # nothing left to rename: send this one anew

    folder_id = ctx.folder_ids[parent_of(action.path)]
    sent = await _send_stable(action, ctx, folder_id, verdict.content_type, current)
    if sent is None:
        return Outcome(
            OutcomeKind.FAILED,
            action,
            reason="kept changing while it was being sent: let it finish, then sync again",
        )
    stat, result = sent
    if ctx.verify is not None:
        finding = await ctx.verify(result.url, result.sha256)
        if finding is not None:
            await _discard_copy(result.remote_id, ctx)
            return Outcome(
                OutcomeKind.FAILED,
                action,
                reason=f"uploaded, but its hosted URL {finding.detail}: that copy was removed "
                "and the next sync sends the file again",
            )
    entry = StateEntry(
        action.path,
        stat.size,
        stat.mtime_ns,
        result.sha256,
        result.remote_id,
        result.url,
        folder_id,
        ctx.clock(),
        RESTORED if restoring else SYNCED,
    )
    stale_id = None
    if previous is not None and not restoring:
        # The new copy is live before the old one goes, so a hosted copy always exists.
        try:
            await _delete_remote(previous.remote_id, ctx)
        except RemoteError as exc:
            if is_fatal(exc):
                raise
            stale_id = previous.remote_id
    note = verdict.note
    if previous is not None and previous.path != action.path:
        how = _sent_anew(action, previous.path, copy_gone, old_deleted=stale_id is None)
        note = f"{how}{'; ' + note if note else ''}"
    return Outcome(OutcomeKind.UPLOADED, action, entry=entry, stale_id=stale_id, reason=note)


def _sent_anew(action: Action, old_path: str, copy_gone: bool, old_deleted: bool) -> str:
    """Why a file found under a new name got a new copy (and URL) instead of keeping its own.
    A rename keeps the URL only when the bytes are the ones recorded; the planner pairs by
    size alone, so a renamed file may well carry new content."""
    old = "the old copy deleted" if old_deleted else "the old copy is deleted on the next pass"
    if action.kind is ActionKind.MOVE:
        return (
            f"moved from {old_path}: the API cannot move files, so it was uploaded anew "
            f"and {old}; its URL changed"
        )
    if copy_gone:
        return (
            f"renamed from {old_path}, whose copy was no longer in the library: "
            "uploaded anew; its URL changed"
        )
    return f"renamed from {old_path} with new content: uploaded anew and {old}; its URL changed"


async def _rename_remote(remote_id: str, path: str, ctx: WorkerContext) -> bool:
    """Rename the remote copy for `path`; False if it is no longer there to rename."""
    try:
        await call_with_retries(ctx.retry, partial(ctx.remote.rename, remote_id, remote_name(path)))
    except NotFoundError:
        return False
    return True


async def _send_stable(
    action: Action,
    ctx: WorkerContext,
    folder_id: str | None,
    content_type: str,
    looked: LocalFile,
) -> tuple[LocalFile, UploadResult] | None:
    """Upload until the bytes sent are the file as it stood before and after sending.

    `looked` is a stat taken before any byte of the body was read: it serves as the first
    round's "before" (a change since then shows in the stat after sending, like any other).
    """
    before: LocalFile | None = looked
    for round_ in range(CONTENT_ROUNDS):
        if before is None:
            if round_:
                # A copy was sent and its removal may have failed: fail, so that the intent
                # stays and the next pass settles what the library holds.
                return None
            raise LocalFileError("vanished while it was being sent")
        try:
            result = await _upload_with_retries(action, ctx, before, folder_id, content_type)
        except LocalFileError:
            # Cut short or unreadable mid-send. An earlier attempt whose answer was lost may
            # still have been stored: fail, so the intent stays and the next pass settles it.
            return None
        after = await ctx.disk.call(restat, ctx.root, action.path)
        if after == before and result.size == before.size:
            return before, result
        before = after
        # The copy we just made holds a mix of old and new bytes: ours to remove.
        await _discard_copy(result.remote_id, ctx)
    return None


async def _discard_copy(remote_id: str, ctx: WorkerContext) -> None:
    """Remove a copy we just made that must not stand; if that fails, the intent covers it."""
    try:
        await _delete_remote(remote_id, ctx)
    except RemoteError as exc:
        if is_fatal(exc):
            raise


async def _upload_with_retries(
    action: Action, ctx: WorkerContext, stat: LocalFile, folder_id: str | None, content_type: str
) -> UploadResult:
    parcel = Parcel(
        ctx.root / action.path, stat.size, remote_name(action.path), folder_id, content_type
    )
    return await deliver(ctx.remote, parcel, ctx.retry, ctx.clock, ctx.known_ids)


async def _delete(action: Action, ctx: WorkerContext) -> Outcome:
    remote_id = action.stale_id or (action.previous.remote_id if action.previous else None)
    assert remote_id is not None
    await _delete_remote(remote_id, ctx)
    return Outcome(OutcomeKind.DELETED, action)


async def _delete_remote(remote_id: str, ctx: WorkerContext) -> None:
    """Delete with retries; a copy that is already gone counts as deleted."""
    try:
        await call_with_retries(ctx.retry, partial(ctx.remote.delete, remote_id))
    except NotFoundError:
        return


def _look(root: Path, path: str) -> tuple[LocalFile | None, bytes | OSError]:
    """The file's stat and leading bytes (or why they could not be read). Blocking."""
    current = restat(root, path)
    if current is None:
        return None, b""
    try:
        with (root / path).open("rb") as handle:
            return current, handle.read(SNIFF_BYTES)
    except OSError as exc:
        return current, exc


def _failure(exc: MediasyncError) -> str:
    """The error, and what to do about it: a refusal will recur as sent; the rest may pass."""
    if isinstance(exc, RejectedError):
        return (
            f"{_one_line(exc)}: the library refused it; check its type, size and name, "
            "then sync again"
        )
    return f"{_one_line(exc)}{RETRY_NEXT}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
