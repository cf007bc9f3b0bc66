"""The planner as tables: (local, state, policy) → expected actions. Each row runs twice."""

from __future__ import annotations

import pytest

from mediasync.config import MaxDelete
from mediasync.models import (
    MISSING,
    ActionKind,
    LocalFile,
    LocalSnapshot,
    Plan,
    Rejection,
    StaleCopy,
    StateEntry,
    SyncState,
)
from mediasync.plan import Policy, plan
from mediasync.rules import TypeRules


def local(
    *files: tuple[str, int, int],
    rejected: tuple[Rejection, ...] = (),
    unreadable: tuple[str, ...] = (),
) -> LocalSnapshot:
    return LocalSnapshot.of([LocalFile(p, s, m) for p, s, m in files], rejected, unreadable)


def state(*entries: tuple[str, int, int], stale: tuple[StaleCopy, ...] = ()) -> SyncState:
    return SyncState.of(
        [StateEntry(p, s, m, "h", f"id-{p}", f"u/{p}", None, 1.0) for p, s, m in entries], stale
    )


def summary(result: Plan) -> tuple[object, ...]:
    return (
        tuple((a.kind.value, a.path) for a in result.uploads),
        tuple((a.kind.value, a.path) for a in result.deletes),
        tuple((r.path, r.reason.split(":")[0]) for r in result.rejections),
        result.unchanged,
        result.delete_blocked is not None,
        result.fatal is not None,
    )


CASES = [
    (
        "new files upload in path order",
        local(("b.png", 5, 1), ("a/x.jpg", 5, 1)),
        state(),
        Policy(),
        ((("upload", "a/x.jpg"), ("upload", "b.png")), (), (), 0, False, False),
    ),
    (
        "same size and mtime is unchanged",
        local(("a.png", 5, 1)),
        state(("a.png", 5, 1)),
        Policy(),
        ((), (), (), 1, False, False),
    ),
    (
        "changed size or mtime is a replace",
        local(("a.png", 6, 1), ("b.png", 5, 2)),
        state(("a.png", 5, 1), ("b.png", 5, 1)),
        Policy(),
        ((("replace", "a.png"), ("replace", "b.png")), (), (), 0, False, False),
    ),
    (
        "removed file is deleted",
        local(("a.png", 5, 1), ("b.png", 5, 1)),
        state(("a.png", 5, 1), ("b.png", 5, 1), ("c.png", 5, 1)),
        Policy(),
        ((), (("delete", "c.png"),), (), 2, False, False),
    ),
    (
        "deletes off keeps remote copies",
        local(("a.png", 5, 1)),
        state(("a.png", 5, 1), ("c.png", 5, 1)),
        Policy(delete=False),
        ((), (), (), 1, False, False),
    ),
    (
        "over max_delete share is blocked",
        local(("a.png", 5, 1)),
        state(("a.png", 5, 1), ("b.png", 5, 1), ("c.png", 5, 1)),
        Policy(max_delete=MaxDelete(percent=50)),
        ((), (("delete", "b.png"), ("delete", "c.png")), (), 1, True, False),
    ),
    (
        "force lifts the guard",
        local(("a.png", 5, 1)),
        state(("a.png", 5, 1), ("b.png", 5, 1), ("c.png", 5, 1)),
        Policy(max_delete=MaxDelete(percent=50), force=True),
        ((), (("delete", "b.png"), ("delete", "c.png")), (), 1, False, False),
    ),
    (
        "a count guard",
        local(("a.png", 5, 1)),
        state(("a.png", 5, 1), ("b.png", 5, 1)),
        Policy(max_delete=MaxDelete(count=0)),
        ((), (("delete", "b.png"),), (), 1, True, False),
    ),
    (
        "empty root with state is fatal",
        local(),
        state(("a.png", 5, 1)),
        Policy(),
        ((), (), (), 0, False, True),
    ),
    (
        "missing root is fatal",
        LocalSnapshot(root_exists=False),
        state(("a.png", 5, 1)),
        Policy(),
        ((), (), (), 0, False, True),
    ),
    (
        "empty root with empty state is nothing to do",
        local(),
        state(),
        Policy(),
        ((), (), (), 0, False, False),
    ),
    (
        "type, size and emptiness are rejected, not deleted",
        local(("a.exe", 5, 1), ("big.png", 30 * 2**20, 1), ("e.png", 0, 1), ("noext", 5, 1)),
        state(("big.png", 5, 1)),
        Policy(),
        (
            # No extension: the worker judges it by content, to say which one to give it.
            (("upload", "noext"),),
            (),
            (
                ("a.exe", "file type .exe is not accepted by the Media Library"),
                ("big.png", "too large"),
                ("e.png", "empty file (0 bytes)"),
            ),
            0,
            False,
            False,
        ),
    ),
    (
        "video has its own limit",
        local(("v.mp4", 30 * 2**20, 1), ("p.png", 30 * 2**20, 1)),
        state(),
        Policy(types=TypeRules.of(limits={"video": 500 * 2**20})),
        ((("upload", "v.mp4"),), (), (("p.png", "too large"),), 0, False, False),
    ),
    (
        "files under an unreadable folder are not deleted, others are",
        local(("a.png", 5, 1), unreadable=("sub",)),
        state(("a.png", 5, 1), ("sub/b.png", 5, 1), ("subway.png", 5, 1)),
        Policy(max_delete=MaxDelete(percent=100)),
        ((), (("delete", "subway.png"),), (("sub", "cannot read this folder"),), 1, False, False),
    ),
    (
        "a recorded file that can no longer be read is rejected, not deleted",
        local(("a.png", 5, 1), rejected=(Rejection("b.png", "cannot read: Permission denied"),)),
        state(("a.png", 5, 1), ("b.png", 5, 1)),
        Policy(max_delete=MaxDelete(percent=100)),
        ((), (), (("b.png", "cannot read"),), 1, False, False),
    ),
    (
        "stale copies are deleted even when the guard trips",
        local(("a.png", 5, 1)),
        state(("a.png", 5, 1), stale=(StaleCopy("old", "a.png"),)),
        Policy(),
        ((), (("delete-stale", "a.png"),), (), 1, False, False),
    ),
]


@pytest.mark.parametrize("repeat", [1, 2])
@pytest.mark.parametrize(
    ("title", "snapshot", "recorded", "policy", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_plan_table(
    title: str,
    snapshot: LocalSnapshot,
    recorded: SyncState,
    policy: Policy,
    expected: tuple[object, ...],
    repeat: int,
) -> None:
    assert summary(plan(snapshot, recorded, policy)) == expected


def test_plan_is_deterministic_whatever_the_input_order() -> None:
    files = [("z.png", 1, 1), ("a/b.png", 1, 1), ("m.jpg", 1, 1), ("a/a.png", 1, 1)]
    first = plan(local(*files), state(), Policy())
    second = plan(local(*reversed(files)), state(), Policy())
    assert first == second
    assert [a.path for a in first.uploads] == ["a/a.png", "a/b.png", "m.jpg", "z.png"]


def test_folders_needed_come_parents_first() -> None:
    result = plan(
        local(("a/b/c.png", 1, 1), ("d/e.png", 1, 1), ("top.png", 1, 1)), state(), Policy()
    )
    assert result.folders == ("a", "d", "a/b")


def test_replace_carries_the_previous_entry() -> None:
    result = plan(local(("a.png", 9, 9)), state(("a.png", 5, 1)), Policy())
    (action,) = result.uploads
    assert action.kind is ActionKind.REPLACE
    assert action.previous is not None and action.previous.remote_id == "id-a.png"


@pytest.mark.parametrize(
    ("restore", "changed", "expected_uploads", "expected_missing"),
    [
        (True, False, (("restore", "a.png"),), ()),
        (True, True, (("restore", "a.png"),), ()),
        (False, False, (), ("a.png",)),
        (False, True, (("replace", "a.png"),), ()),
    ],
)
def test_files_missing_remotely(
    restore: bool,
    changed: bool,
    expected_uploads: tuple[tuple[str, str], ...],
    expected_missing: tuple[str, ...],
) -> None:
    gone = StateEntry("a.png", 5, 1, "h", "id-a", "u/a", None, 1.0, MISSING)
    snapshot = local(("a.png", 6 if changed else 5, 1))
    result = plan(snapshot, SyncState.of([gone]), Policy(restore_missing=restore))
    assert tuple((a.kind.value, a.path) for a in result.uploads) == expected_uploads
    assert result.missing == expected_missing
    assert result.deletes == ()
