"""Real reasons a save fails: a full disk (a small tmpfs, filled) and a lock another process holds."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

# Another program (a database browser, a script) holding the campaign with an exclusive transaction.
HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
conn.execute("ROLLBACK")
conn.close()
"""


@contextmanager
def lock_held_by_another_process(db: Path):
    """A separate Python process opens the campaign with sqlite3 and holds `BEGIN EXCLUSIVE`; it
    releases it when the block ends, or earlier with `release()` on what is yielded."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)

    def release() -> None:
        if proc.poll() is None:
            proc.stdin.close()
            assert proc.wait(timeout=10) == 0

    try:
        assert proc.stdout.readline().strip() == "locked"
        yield release
    finally:
        if proc.poll() is None:
            try:
                release()
            finally:
                if proc.poll() is None:
                    proc.kill()


class SmallDisk:
    """A tmpfs of its own (we run as root), mounted in `folder` and unmounted by the fixture."""

    def __init__(self, folder: Path, size: str) -> None:
        self.folder = folder
        self.size = size
        self.filler = folder / "filler.bin"

    def mount(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size}", "tmpfs", str(self.folder)], check=True)

    def unmount(self) -> None:
        self.free()
        done = subprocess.run(["umount", str(self.folder)], capture_output=True, text=True)
        if done.returncode != 0:  # something still holds a file there: detach it anyway, then say so
            subprocess.run(["umount", "-l", str(self.folder)], check=True)
            raise AssertionError(f"umount {self.folder} : {done.stderr.strip()}")

    def fill(self) -> None:
        """Write a filler file until the disk refuses even one more byte."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for chunk in (1 << 20, 1 << 16, 1 << 12, 1):
                block = b"\0" * chunk
                while True:
                    try:
                        os.write(fd, block)
                    except OSError as exc:
                        assert exc.errno == errno.ENOSPC, exc
                        break
        finally:
            os.close(fd)
        assert os.statvfs(self.folder).f_bavail == 0

    def free(self) -> None:
        if self.filler.exists():
            self.filler.unlink()

    def read_only(self) -> None:
        """Remount it read-only: nobody, root included, can write there any more."""
        subprocess.run(["mount", "-o", "remount,ro", str(self.folder)], check=True)


@contextmanager
def small_disk(folder: Path, size: str):
    """A SmallDisk mounted for the block, unmounted after it."""
    disk = SmallDisk(folder, size)
    disk.mount()
    try:
        yield disk
    finally:
        disk.unmount()
