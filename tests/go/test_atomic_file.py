"""Atomic writes leave the old or the new file, never a partial one or a stray temp file."""

import os

import pytest

from go.atomic_file import write_bytes_atomic, write_text_atomic


def test_write_replaces_and_creates_folders(tmp_path):
    target = tmp_path / "a" / "b" / "file.txt"
    write_text_atomic(target, "first")
    write_text_atomic(target, "second ✓")
    assert target.read_text(encoding="utf-8") == "second ✓"
    assert [p.name for p in target.parent.iterdir()] == ["file.txt"]


def test_a_failed_write_keeps_the_old_file_and_no_temp_file(tmp_path):
    target = tmp_path / "file.bin"
    write_bytes_atomic(target, b"old")
    with pytest.raises(TypeError):
        write_bytes_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]


def test_a_replaced_file_keeps_its_mode_and_a_new_one_follows_the_umask(tmp_path):
    target = tmp_path / "game.sgf"
    target.write_text("old")
    target.chmod(0o644)
    write_text_atomic(target, "new")
    assert target.stat().st_mode & 0o777 == 0o644
    target.chmod(0o640)
    write_text_atomic(target, "newer")
    assert target.stat().st_mode & 0o777 == 0o640
    umask = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "fresh.txt", "x")
    finally:
        os.umask(umask)
    assert (tmp_path / "fresh.txt").stat().st_mode & 0o777 == 0o644


def test_the_crash_hook_sees_each_step_and_a_crash_before_the_rename_keeps_the_old_file(
        tmp_path, monkeypatch):
    from go import atomic_file

    target = tmp_path / "state.json"
    write_text_atomic(target, "old")
    steps = []

    def crash(path, step):
        steps.append((path.name, step))
        if step == "temporary":
            raise SystemExit("killed")

    monkeypatch.setattr(atomic_file, "crash_hook", crash)
    with pytest.raises(SystemExit):
        write_text_atomic(target, "new")
    assert steps == [("state.json", "temporary")]
    assert target.read_text() == "old"
    monkeypatch.setattr(atomic_file, "crash_hook", lambda path, step: steps.append(step))
    write_text_atomic(target, "new")
    assert target.read_text() == "new" and steps[1:] == ["temporary", "replaced"]
