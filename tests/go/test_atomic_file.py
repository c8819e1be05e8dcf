"""Atomic writes leave the old or the new file, never a partial one or a stray temp file."""

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
