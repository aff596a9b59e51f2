"""One writer per campaign file: an OS lock on `<file>.lock`, held while the campaign is open.

The operating system releases it when the process ends, however it ends
(quit, crash, `kill -9`), so a stale lock never blocks anyone.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# A platform test, not try/except ImportError: mypy then checks the branch of the platform it checks for.
if sys.platform != "win32":  # POSIX
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

else:  # Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


class CampaignLock:
    def __init__(self, db: Path) -> None:
        self.path = Path(f"{db}.lock")
        self.fd: int | None = None

    def acquire(self) -> bool:
        """True when this process is now the only writer."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_lock(fd):
            os.close(fd)
            return False
        self.fd = fd
        try:  # who holds it, for the message of a second instance; the lock itself is what matters
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError:  # a full disk: SQLite will say so in its own words
            pass
        return True

    def holder(self) -> str:
        try:
            return self.path.read_text().strip() or "?"
        except OSError:
            return "?"

    def release(self) -> None:
        if self.fd is not None:
            try:
                _unlock(self.fd)
            finally:
                os.close(self.fd)
                self.fd = None
