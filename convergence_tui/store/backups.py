"""Backups: a consistent copy of the campaign each time it is opened for writing, the last five
kept in the user's data folder; `convergence restore` lists them and puts one back."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..errors import CampaignLocked, UserError, os_reason
from ..paths import data_dir
from .db import Store
from .lock import CampaignLock
from .sqlite import create_private, reader

KEPT = 5


@dataclass(frozen=True)
class Backup:
    path: Path
    taken: dt.datetime
    size: int
    services: int | None


def folder_for(db: Path) -> Path:
    resolved = str(Path(db).resolve())
    return data_dir() / "sauvegardes" / f"{Path(db).stem}-{hashlib.sha1(resolved.encode()).hexdigest()[:8]}"


def make_backup(store: Store, keep: int = KEPT) -> Path:
    folder = folder_for(store.path)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{store.path.stem}-{stamp}.sqlite"
    store.backup_to(target)
    for old in list_backups(store.path)[keep:]:
        for path in (old.path, *(Path(f"{old.path}{s}") for s in ("-wal", "-shm", "-journal"))):
            path.unlink(missing_ok=True)
    return target


def list_backups(db: Path) -> list[Backup]:
    """Newest first."""
    folder = folder_for(db)
    if not folder.exists():
        return []
    out = []
    for path in sorted(folder.glob("*.sqlite"), reverse=True):
        stamp = path.stem.rsplit("-", 1)[-1]
        try:
            taken = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=dt.UTC)
        except ValueError:
            continue
        out.append(Backup(path, taken, path.stat().st_size, _count_services(path)))
    return out


def _count_services(path: Path) -> int | None:
    try:
        conn = reader(path)
        try:
            count: int = conn.execute("select count(*) from items where kind = 'service' and deleted = 0").fetchone()[0]
            return count
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def restore(db: Path, backup: Path) -> Path | None:
    """Put a backup in place of the campaign file; the file it replaces is kept as a backup first
    (its path is returned; None when there was no file to replace).

    Works on a damaged campaign file too (that is when it is needed), so it does
    not open the current file through SQLite: it copies it aside as it is.
    """
    db = Path(db)
    lock = CampaignLock(db)
    if not lock.acquire():
        raise CampaignLocked(f"{db} est ouvert par un autre programme convergence ; fermez-le avant de restaurer.")
    try:
        check = reader(backup)
        try:
            sound = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok" and check.execute(
                "select count(*) from sqlite_master where type = 'table' and name in ('meta', 'answers', 'journal')"
            ).fetchone()[0] == 3
        except sqlite3.Error:
            sound = False
        finally:
            check.close()
        if not sound:  # an empty file (a backup interrupted by an older version), or not a campaign
            raise UserError(f"{backup} : sauvegarde endommagée ou vide ; choisissez-en une autre.")
        folder = folder_for(db)
        folder.mkdir(parents=True, exist_ok=True)
        kept = None
        if db.exists():
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            kept = folder / f"{db.stem}-{stamp}.sqlite"
            _copy_private(db, kept)
            wal = Path(f"{db}-wal")
            if wal.exists() and wal.stat().st_size:  # changes not yet folded into the file: keep them too
                _copy_private(wal, Path(f"{kept}-wal"))
        tmp = db.with_name(f".{db.name}.restauration")
        tmp.unlink(missing_ok=True)  # left by a restore that was interrupted
        _copy_private(backup, tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        # The old file's WAL must not be replayed onto the restored one.
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        os.replace(tmp, db)
        return kept
    except OSError as exc:
        raise UserError(f"{db} : restauration impossible ({os_reason(exc)}) ; le fichier n'a pas été "
                        "remplacé.") from None
    finally:
        lock.release()


def _copy_private(source: Path, target: Path) -> None:
    """A copy readable by its owner only, like the campaign it comes from (names, e-mails)."""
    create_private(target)
    shutil.copyfile(source, target)
