"""The SQLite state store: real files on disk, per-outcome commits, refusals that protect data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mediasync.errors import LockHeldError, StateError
from mediasync.models import Action, ActionKind, Outcome, OutcomeKind, StateEntry
from mediasync.state import SCHEMA_VERSION, StateStore, hold_lock


def entry(path: str, remote_id: str = "r1") -> StateEntry:
    return StateEntry(path, 3, 4, "h", remote_id, f"https://x/{remote_id}", "f1", 5.0)


def test_outcomes_are_committed_and_survive_reopening(tmp_path: Path) -> None:
    db = tmp_path / "s" / "state.db"
    store = StateStore.open(db, "loc")
    upload = Action(ActionKind.UPLOAD, "a/b.png")
    store.record(Outcome(OutcomeKind.UPLOADED, upload, entry("a/b.png")))
    store.record(
        Outcome(OutcomeKind.UPLOADED, Action(ActionKind.UPLOAD, "c.png"), entry("c.png", "r2"))
    )
    store.record(Outcome(OutcomeKind.DELETED, Action(ActionKind.DELETE, "c.png")))
    store.close()
    # A second connection, as another process would see it: everything is already on disk.
    reopened = StateStore.open(db, "loc")
    assert dict(reopened.snapshot().entries) == {"a/b.png": entry("a/b.png")}
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_failed_replace_delete_leaves_a_stale_copy_to_retry(tmp_path: Path) -> None:
    store = StateStore.open(tmp_path / "state.db", "loc")
    replace = Action(ActionKind.REPLACE, "a.png")
    store.record(Outcome(OutcomeKind.UPLOADED, replace, entry("a.png", "new"), stale_id="old"))
    assert [s.remote_id for s in store.snapshot().stale] == ["old"]
    store.record(
        Outcome(OutcomeKind.DELETED, Action(ActionKind.DELETE_STALE, "a.png", stale_id="old"))
    )
    assert store.snapshot().stale == ()
    assert "a.png" in store.snapshot().entries


def test_problems_hold_one_line_reasons(tmp_path: Path) -> None:
    store = StateStore.open(tmp_path / "state.db", "loc")
    store.record(
        Outcome(OutcomeKind.REJECTED, Action(ActionKind.UPLOAD, "x.png"), reason="empty file")
    )
    assert store.problems() == [("x.png", "rejected", "empty file")]
    store.clear_problems()
    assert store.problems() == []


def test_corrupt_state_is_fatal_with_a_fix(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    db.write_bytes(b"this is not a database, just some bytes" * 100)
    with pytest.raises(StateError, match="move it aside"):
        StateStore.open(db, "loc")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    StateStore.open(db, "loc").close()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION + 1,)
        )
    with pytest.raises(StateError, match="upgrade mediasync"):
        StateStore.open(db, "loc")


def test_state_of_another_location_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    store = StateStore.open(db, "loc-a")
    store.record(Outcome(OutcomeKind.UPLOADED, Action(ActionKind.UPLOAD, "a.png"), entry("a.png")))
    store.close()
    with pytest.raises(StateError, match="belongs to location loc-a"):
        StateStore.open(db, "loc-b")
    with pytest.raises(StateError, match="belongs to location loc-a"):
        StateStore.open_existing(db, "loc-b")


def test_a_state_that_recorded_nothing_follows_a_corrected_location(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    StateStore.open(db, "typo").close()
    StateStore.open(db, "right").close()
    reopened = StateStore.open_existing(db, "right")
    assert reopened is not None


def test_files_synced_under_another_root_folder_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    store = StateStore.open(db, "loc", "x/y")
    store.record(Outcome(OutcomeKind.UPLOADED, Action(ActionKind.UPLOAD, "a.png"), entry("a.png")))
    store.close()
    with pytest.raises(StateError, match=r'synced under remote folder "x/y".*now "rd"'):
        StateStore.open(db, "loc", "rd")
    with pytest.raises(StateError, match="root_folder back to"):
        StateStore.open_existing(db, "loc", "rd")
    with pytest.raises(StateError, match=r'now "" \(the library root\)'):
        StateStore.open(db, "loc", "")
    StateStore.open(db, "loc", "x/y").close()
    StateStore.open(db, "loc").close()  # callers that do not sync (tests, tools) need not say


def test_a_state_that_recorded_no_file_follows_a_changed_root_folder(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    store = StateStore.open(db, "loc", "old")
    store.set_folder("old/a", "f1")
    store.close()
    StateStore.open(db, "loc", "new").close()
    reopened = StateStore.open_existing(db, "loc", "new")
    assert reopened is not None
    reopened.close()


def test_reading_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "state.db"
    assert StateStore.open_existing(db, "loc") is None
    assert not (tmp_path / "sub").exists()
    StateStore.open(db, "loc").close()
    reader = StateStore.open_existing(db, "loc")
    assert reader is not None and reader.snapshot().entries == {}


def test_intents_round_trip(tmp_path: Path) -> None:
    store = StateStore.open(tmp_path / "state.db", "loc")
    first = store.begin_intent("upload", "a.png", "a.png", "f", 10.0, size=3, mtime_ns=4)
    store.begin_intent("delete", "b.png", "b.png", None, 11.0, remote_id="r9")
    assert [(i.kind, i.path) for i in store.pending_intents()] == [
        ("upload", "a.png"),
        ("delete", "b.png"),
    ]
    store.end_intent(first)
    store.end_intents("b.png")
    assert store.pending_intents() == []


def test_an_outcome_and_the_end_of_its_intents_commit_together(tmp_path: Path) -> None:
    store = StateStore.open(tmp_path / "state.db", "loc")
    store.begin_intent("upload", "a.png", "a.png", "f", 10.0, size=3, mtime_ns=4)
    store.begin_intent("upload", "b.png", "b.png", "f", 10.0, size=3, mtime_ns=4)
    store.record(
        Outcome(OutcomeKind.UPLOADED, Action(ActionKind.UPLOAD, "a.png"), entry("a.png")),
        end_intents=True,
    )
    assert [i.path for i in store.pending_intents()] == ["b.png"]
    assert list(store.snapshot().entries) == ["a.png"]


def test_second_run_cannot_take_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with hold_lock(db), pytest.raises(LockHeldError, match="another mediasync run"), hold_lock(db):
        pytest.fail("a second holder got the lock")
    with hold_lock(db):
        pass
