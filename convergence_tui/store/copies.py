"""A consistent copy of a campaign file, through SQLite's backup API: what a backup and
`convergence copy` write. The copy is read from a connection of its own (another process may hold
the file open, even in the middle of a write: the copy is the last committed state), written under
a temporary name (mode 0600) in the target's folder, checked, and given its name only once whole:
one file, no WAL beside it. A failure (a full disk) leaves nothing behind."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from ..paths import fsync_folder
from .sqlite import check_integrity, reader


def consistent_copy(source: Path, target: Path, *, replace: bool) -> None:
    """Copy `source` to `target`. Raises OSError or sqlite3.Error (nothing left behind), and
    FileExistsError when `target` exists and `replace` is false (never overwritten then, even if it
    appears while the copy is written)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partielle", dir=target.parent)  # 0600
    os.close(fd)
    tmp = Path(name)
    try:
        conn = reader(source)
        try:
            dest = sqlite3.connect(tmp)
            try:
                conn.backup(dest)
                dest.execute("PRAGMA journal_mode=DELETE")  # one file, nothing beside it
                check_integrity(dest)
            finally:
                dest.close()
        finally:
            conn.close()
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        _publish(tmp, target, replace)
        fsync_folder(target.parent)
    finally:
        for path in (tmp, *(Path(f"{tmp}{s}") for s in ("-journal", "-wal", "-shm"))):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass


def _publish(tmp: Path, target: Path, replace: bool) -> None:
    if replace:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # atomic, and refuses a file that is there
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links (a FAT USB stick): check, then rename
        if target.exists():
            raise FileExistsError(target) from None
        os.replace(tmp, target)
