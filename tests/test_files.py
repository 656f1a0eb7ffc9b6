"""Atomic writes: a reader sees the old file or the whole new one, never a part."""

import os
from pathlib import Path

import pytest

from outreach.files import atomic_write_bytes


@pytest.mark.parametrize("sync", [True, False])
def test_the_new_content_replaces_the_old_and_no_temporary_file_stays(
    tmp_path: Path, sync: bool
) -> None:
    target = tmp_path / "draft.eml"
    target.write_bytes(b"old")
    atomic_write_bytes(target, b"new " * 50_000, sync=sync)
    assert target.read_bytes() == b"new " * 50_000
    assert [p.name for p in tmp_path.iterdir()] == ["draft.eml"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "draft.eml"
    target.write_bytes(b"old")
    written: list[int] = []
    real_write = os.write

    def disk_full(fd: int, data: memoryview) -> int:
        if written:
            raise OSError(28, "No space left on device")
        written.append(real_write(fd, data[:10]))
        return written[-1]

    monkeypatch.setattr("outreach.files.os.write", disk_full)
    with pytest.raises(OSError, match="No space"):
        atomic_write_bytes(target, b"x" * 100)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["draft.eml"]
