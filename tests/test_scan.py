"""The stat-only walk over real folders: what counts as a file, what is refused, and why."""

from __future__ import annotations

import os
import socket
import stat
import unicodedata
from pathlib import Path

import pytest

from mediasync.models import Rejection, remote_name
from mediasync.rules import TypeRules, check_name_and_size
from mediasync.scan import (
    BROKEN_LINK,
    LINK_CYCLE,
    LINK_LOOP,
    NOT_REGULAR,
    OUTSIDE_ROOT,
    SYMLINK_SKIPPED,
    printable,
    probe,
    restat,
    scan_tree,
)


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
    assert reasons["dangling.png"] == SYMLINK_SKIPPED
    followed = {r.path: r.reason for r in scan_tree(tmp_path, follow_symlinks=True).rejected}
    assert followed["dangling.png"] == BROKEN_LINK


def test_a_link_to_itself_is_called_a_loop_not_broken(tmp_path: Path) -> None:
    (tmp_path / "x.png").symlink_to("x.png")
    (tmp_path / "a.png").symlink_to("b.png")
    (tmp_path / "b.png").symlink_to("a.png")
    followed = {r.path: r.reason for r in scan_tree(tmp_path, follow_symlinks=True).rejected}
    assert followed == {"a.png": LINK_CYCLE, "b.png": LINK_CYCLE, "x.png": LINK_CYCLE}
    assert probe(tmp_path, "x.png", follow_symlinks=True) == Rejection("x.png", LINK_CYCLE)


def test_sockets_are_refused_with_a_reason(tmp_path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "s.png"))
        (tmp_path / "ok.png").write_bytes(b"1")
        snapshot = scan_tree(tmp_path)
    assert list(snapshot.files) == ["ok.png"]
    assert [(r.path, r.reason) for r in snapshot.rejected] == [("s.png", NOT_REGULAR)]


def test_devices_are_refused_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "null.png").symlink_to("/dev/null")
    reasons = {r.path: r.reason for r in scan_tree(tmp_path, follow_symlinks=True).rejected}
    assert reasons == {"null.png": OUTSIDE_ROOT}
    try:
        os.mknod(tmp_path / "tty.png", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs privileges this run does not have")
    reasons = {r.path: r.reason for r in scan_tree(tmp_path).rejected}
    assert reasons["tty.png"] == NOT_REGULAR


def test_symlinks_are_skipped_by_default_and_reported(tmp_path: Path) -> None:
    (tmp_path / "real.png").write_bytes(b"1")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "in.png").write_bytes(b"2")
    (tmp_path / "link.png").symlink_to(tmp_path / "real.png")
    (tmp_path / "dirlink").symlink_to(tmp_path / "dir")
    snapshot = scan_tree(tmp_path)
    assert sorted(snapshot.files) == ["dir/in.png", "real.png"]
    assert {r.path: r.reason for r in snapshot.rejected} == {
        "dirlink": SYMLINK_SKIPPED,
        "link.png": SYMLINK_SKIPPED,
    }


def test_following_links_stays_inside_the_root_and_walks_each_folder_once(
    tmp_path: Path,
) -> None:
    root = tmp_path / "root"
    (root / "dir").mkdir(parents=True)
    (root / "dir" / "in.png").write_bytes(b"2")
    (root / "link.png").symlink_to(root / "dir" / "in.png")
    (root / "dir" / "loop").symlink_to(root / "dir")
    (root / "up").symlink_to(root)
    (tmp_path / "secret.png").write_bytes(b"s")
    (root / "escape.png").symlink_to(tmp_path / "secret.png")
    (root / "escape-dir").symlink_to(tmp_path)
    snapshot = scan_tree(root, follow_symlinks=True)
    assert sorted(snapshot.files) == ["dir/in.png", "link.png"]
    assert {r.path: r.reason for r in snapshot.rejected} == {
        "dir/loop": LINK_LOOP,
        "up": LINK_LOOP,
        "escape.png": OUTSIDE_ROOT,
        "escape-dir": OUTSIDE_ROOT,
    }


def test_unreadable_files_are_refused_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "locked.png").write_bytes(b"1")
    (tmp_path / "open.png").write_bytes(b"1")
    real_access = os.access

    def access(path: str | bytes | os.PathLike[str], mode: int) -> bool:
        # Tests may run as root, who can read anything: pretend the file is locked.
        return not str(path).endswith("locked.png") and real_access(path, mode)

    monkeypatch.setattr(os, "access", access)
    snapshot = scan_tree(tmp_path)
    assert list(snapshot.files) == ["open.png"]
    (locked,) = snapshot.rejected
    assert locked.path == "locked.png" and locked.reason.startswith("cannot read")


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
    assert check_name_and_size("a/trailing space.txt ", 5, TypeRules()) == (
        "name ends with a space or a dot, which the library drops: rename it"
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


@pytest.mark.parametrize("first", ["NFC", "NFD"])
def test_names_that_compose_alike_send_the_composed_one_and_say_which_is_which(
    tmp_path: Path, first: str
) -> None:
    composed = unicodedata.normalize("NFC", "Café.png")
    decomposed = unicodedata.normalize("NFD", "Café.png")
    # Made in either order: the composed spelling wins whatever order the folder lists them.
    for name in (composed, decomposed) if first == "NFC" else (decomposed, composed):
        (tmp_path / name).write_bytes(name.encode())
    snapshot = scan_tree(tmp_path)
    assert list(snapshot.files) == [composed]
    (clash,) = snapshot.rejected
    assert clash.path == decomposed
    assert clash.reason == (
        "same name as 'Café.png' once composed: this one is spelled decomposed "
        "(NFD: Cafe\\u0301.png), the one sent composed (NFC: Caf\\u00e9.png); "
        "rename one of them"
    )


def test_folders_that_compose_alike_keep_the_composed_one(tmp_path: Path) -> None:
    composed = unicodedata.normalize("NFC", "Café")
    decomposed = unicodedata.normalize("NFD", "Café")
    for folder in (decomposed, composed):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.png").write_bytes(b"1")
    snapshot = scan_tree(tmp_path)
    assert list(snapshot.files) == [f"{composed}/a.png"]
    assert [r.path for r in snapshot.rejected] == [f"{decomposed}/a.png"]
