"""SQLite as the store uses it: reading a file without writing it, creating one private, telling
a damaged or foreign file, and saying in French why SQLite refused (one classification for opening
and for writing)."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..cells import Cell
from ..errors import UserError, os_reason

SQLITE_MAGIC = b"SQLite format 3\x00"


def sqlite_problem(path: Path, exc: sqlite3.Error) -> tuple[str, str]:
    """(why, fix) of an error SQLite raised about the campaign file `path`, in French: one
    classification for opening (`_french_sqlite_error`) and for writing (the session's SaveFailed)."""
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return ("fichier de campagne endommagé ou qui n'est pas une base SQLite",
                "restaurez une sauvegarde (« convergence restore ») ou choisissez un autre fichier")
    if "full" in text or ("disk I/O" in text and disk_full(path)):
        return "disque plein", "libérez de la place puis réessayez"
    if "readonly" in text or "read-only" in text:
        return "fichier ou dossier en lecture seule", "vérifiez les droits puis réessayez"
    if "locked" in text or "busy" in text:
        return "fichier verrouillé par un autre programme", "fermez le programme qui l'utilise puis réessayez"
    if "unable to open" in text:
        return "ouverture impossible", "vérifiez que le dossier existe et qu'il est accessible"
    if "disk I/O" in text:
        return "erreur d'entrée-sortie du disque", "vérifiez le support (clé USB retirée ?) puis réessayez"
    return f"erreur SQLite ({text})", "vérifiez le disque et les droits puis réessayez"


def _french_sqlite_error(path: Path, exc: sqlite3.Error) -> UserError:
    why, fix = sqlite_problem(path, exc)
    return UserError(f"{path} : {why} ; {fix}. Rien n'a été modifié.")


def disk_full(path: Path) -> bool:
    """SQLite says "disk I/O error" when it cannot grow its WAL index on a full disk: tell them apart."""
    import shutil

    try:
        return shutil.disk_usage(Path(path).resolve().parent).free < 1024 * 1024
    except OSError:
        return False


def check_integrity(conn: sqlite3.Connection) -> None:
    """Raise sqlite3.DatabaseError if SQLite finds the file damaged (a quick check: ~70 ms at 500 services)."""
    result = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
    if result != "ok":
        raise sqlite3.DatabaseError(f"database disk image is malformed ({result})")


def reader(path: Path) -> sqlite3.Connection:
    """A read-only connection for the calling thread.

    Reading a WAL-mode file needs its WAL index (`-shm`), which SQLite creates beside it: in a folder
    this program cannot write (a read-only share, a mounted image), or on a full disk, it cannot.
    When no WAL lies beside the file (closed cleanly: everything is in it), the file is then opened
    as immutable, which needs no side file; nobody can be writing it without that same WAL.
    """
    resolved = Path(path).resolve()
    uri = resolved.as_uri()
    wal = Path(f"{resolved}-wal")
    no_log = not wal.exists() or wal.stat().st_size == 0
    if no_log and not os.access(resolved.parent, os.W_OK):
        return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True)
    try:
        conn.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.OperationalError:
        conn.close()
        if not no_log:
            raise
        return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)
    return conn


def create_private(path: Path) -> None:
    """Create an empty file readable and writable by its owner only (0600): a campaign and its
    backups hold names, e-mails and phone numbers. SQLite gives its side files (-wal, -shm) the
    mode of the main file. An existing file is left as it is."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def check_is_sqlite(path: Path) -> None:
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise UserError(f"{path} : lecture impossible ({os_reason(exc)}) ; vérifiez les droits du fichier.") from None
    if head != SQLITE_MAGIC and not (head == b"" and path.stat().st_size == 0):
        raise UserError(
            f"{path} : ce fichier n'est pas une campagne convergence-tui (pas une base SQLite) ; "
            "vérifiez le chemin donné à --db. Le fichier n'a pas été modifié."
        )


def read_items(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute("select id, kind, position, deleted from items order by position, id")
    return [{"id": i, "kind": k, "position": p, "deleted": d} for i, k, p, d in rows]


# What the first screen (the opening view) shows before anything else: the campaign's own answers.
FIRST = "scope = 'campaign'"
ESSENTIAL = (
    "scope = 'campaign' or field = 'level' "
    "or scope in (select id from items where kind = 'service') "
    "or (field in ('covers', 'service', 'criterion', 'target_level', 'due', 'status') "
    "and scope in (select id from items where kind = 'action'))"
)


def read_answers(conn: sqlite3.Connection, part: str = "all") -> Iterator[tuple[str, str, Cell]]:
    where = {"all": "", "first": f" where {FIRST}", "essential": f" where {ESSENTIAL}",
             "deferred": f" where not ({ESSENTIAL})"}[part]
    for scope, field, value, is_json, raw, error in conn.execute(
        f"select scope, field, value, is_json, raw, error from answers{where}"
    ):
        yield scope, field, Cell(json.loads(value) if is_json else value, raw, error)
