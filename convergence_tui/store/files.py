"""A new campaign file appears whole or not at all.

It is built under a temporary name in its own folder (a full disk, a bad document or Ctrl-C half
way leave no half-made campaign that would then "already exist"), and given its name only once
complete and closed. A temporary file left by a killed process is removed by the next creation in
that folder (its lock is free: nobody is building it any more).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import UserError, os_reason
from ..paths import fsync_folder
from .lock import CampaignLock

SUFFIX = ".nouveau"


def _side_files(path: Path) -> list[Path]:
    return [Path(f"{path}{s}") for s in ("-wal", "-shm", "-journal", ".lock")]


def remove_stale(folder: Path, pattern: str) -> None:
    """Remove temporary files matching `pattern` whose writer is gone (its lock can be taken)."""
    for stale in folder.glob(pattern):
        lock = CampaignLock(stale)
        try:
            if not lock.acquire():
                continue  # being written right now by another process
        except OSError:
            continue
        try:
            for path in (stale, *_side_files(stale)[:3]):
                path.unlink(missing_ok=True)
        except OSError:
            pass
        finally:
            lock.release()
            lock.path.unlink(missing_ok=True)


@contextmanager
def new_campaign_file(final: Path) -> Iterator[Path]:
    """Yield a temporary path (an empty file, mode 0600) to build the campaign in; on success, once
    the caller has closed it, it becomes `final` (never replacing a file that appeared meanwhile)."""
    final = Path(final)
    folder = final.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{folder} : dossier impossible à créer ({os_reason(exc)}) ; choisissez un autre "
                        "emplacement avec --db.") from None
    remove_stale(folder, f".{final.name}.*{SUFFIX}")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=SUFFIX, dir=folder)  # mode 0600
    except OSError as exc:
        raise UserError(f"{folder} : écriture impossible ({os_reason(exc)}) ; vérifiez le dossier et la place "
                        "libre.") from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _publish(tmp, final)
    except UserError as exc:  # said of the file the person named, not of its temporary name
        exc.message = exc.message.replace(str(tmp), str(final))
        raise
    finally:
        for path in (tmp, *_side_files(tmp)):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass


def _publish(tmp: Path, final: Path) -> None:
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    if final.exists() and final.stat().st_size > 0:
        raise UserError(f"{final} : ce fichier existe déjà ; choisissez un autre nom ou ouvrez-le.")
    try:
        os.replace(tmp, final)
    except OSError as exc:
        raise UserError(f"{final} : création impossible ({os_reason(exc)}) ; rien n'a été écrit.") from None
    fsync_folder(final.parent)
