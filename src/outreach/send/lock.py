"""The lock that lets one send run at a time use a ledger."""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from outreach.errors import LedgerError, LockedError


@contextmanager
def run_lock(db: Path) -> Iterator[None]:
    """Hold the ledger's run lock; LockedError at once if another run has it.

    The lock file sits beside the ledger's real file, so every path to one ledger (a symlink,
    another relative path) meets the same lock.
    """
    real = db.resolve()
    path = real.with_name(real.name + ".lock")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise LedgerError(f"cannot take the send lock {path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise LockedError(
                f"another send run (pid {holder or '?'}) holds {path}; this run steps aside"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock; the kernel does the same if we are killed
