"""The stat-only walk over real folders: what counts as a file, what is refused, and why."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from mediasync.models import remote_name
from mediasync.rules import check_name_and_size
from mediasync.scan import printable, restat, scan_tree


def test_walk_finds_files_skips_junk_and_the_state_folder(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.png").write_bytes(b"1")
    (tmp_path / "top.jpg").write_bytes(b"22")
    (tmp_path / ".DS_Store").write_bytes(b"junk")
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "state.db").write_bytes(b"db")
    snapshot = scan_tree(tmp_path, exclude=tmp_path / "state")
    assert sorted(snapshot.files) == ["a/b/x.png", "top.jpg"]
    assert snapshot.files["top.jpg"].size == 2
    assert snapshot.rejected == () and snapshot.unreadable == ()


def test_ignored_folders_and_path_patterns_hide_everything_below(tmp_path: Path) -> None:
    for rel in ("keep/a.png", ".cache/b.png", "raw/c.png", "keep/raw/d.png", "x/y.tmp/e.png"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"1")
    assert sorted(scan_tree(tmp_path, ["raw/*"]).files) == ["keep/a.png", "keep/raw/d.png"]
    assert scan_tree(tmp_path, under=".cache").files == {}
    assert sorted(scan_tree(tmp_path, under="keep").files) == ["keep/a.png", "keep/raw/d.png"]


def test_missing_root_is_reported_not_raised(tmp_path: Path) -> None:
    assert not scan_tree(tmp_path / "nope").root_exists


def test_pipes_and_dangling_links_are_refused_with_a_reason(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "dangling.png").symlink_to(tmp_path / "gone.png")
    reasons = {r.path: r.reason for r in scan_tree(tmp_path).rejected}
    assert reasons["pipe.png"].startswith("not a regular file")
    assert reasons["dangling.png"].startswith("cannot read")


def test_folder_symlink_loops_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.png").write_bytes(b"1")
    (tmp_path / "d" / "loop").symlink_to(tmp_path / "d")
    assert list(scan_tree(tmp_path).files) == ["d/x.png"]


def test_control_characters_and_bad_bytes_in_names_are_refused(tmp_path: Path) -> None:
    (tmp_path / "new\nline.txt").write_text("x")
    os.close(os.open(os.fsencode(tmp_path) + b"/caf\xe9.txt", os.O_CREAT | os.O_WRONLY))
    rejected = {r.path: r.reason for r in scan_tree(tmp_path).rejected}
    assert rejected == {
        "new\\x0aline.txt": "name holds control characters (a line break, say): rename it",
        "caf\\xe9.txt": "name is not valid UTF-8: rename it",
    }


def test_printable_keeps_one_line() -> None:
    assert printable("a\x1b[31mb\r.png") == "a\\x1b[31mb\\x0d.png"
    assert printable("Café 🎉.png") == "Café 🎉.png"


def test_trailing_spaces_and_dots_get_a_clear_reason() -> None:
    assert check_name_and_size("a/trailing space.txt ", 5, 10, 10) == (
        "name ends with a space or a dot: rename it"
    )


def test_remote_names_are_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "docs/Café.pdf")
    assert remote_name(decomposed) == "Café.pdf"
    assert len(remote_name(decomposed)) == len("Café.pdf")


def test_restat_sees_changes_and_disappearance(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(b"1")
    first = restat(tmp_path, "a.png")
    path.write_bytes(b"22")
    second = restat(tmp_path, "a.png")
    assert first is not None and second is not None and second.size == 2
    path.unlink()
    assert restat(tmp_path, "a.png") is None


def test_names_that_compose_alike_are_not_both_sent(tmp_path: Path) -> None:
    composed = unicodedata.normalize("NFC", "Café.png")
    decomposed = unicodedata.normalize("NFD", "Café.png")
    (tmp_path / composed).write_bytes(b"1")
    (tmp_path / decomposed).write_bytes(b"2")
    snapshot = scan_tree(tmp_path)
    assert len(snapshot.files) == 1
    (clash,) = snapshot.rejected
    assert clash.reason.startswith("same name as") and "rename one of them" in clash.reason
