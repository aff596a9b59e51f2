"""`convergence copy`: a teammate's copy of the campaign (DESIGN.md §8). The copy is the same
campaign (same UUID, same journal rows and ids): what each fills in is merged later, answer by
answer. It is taken while the campaign may be open elsewhere (the TUI, a write in progress: the
copy holds the last committed state) and never replaces a file."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError, os_reason
from ..store import SCHEMA_VERSION, Store
from ..store.copies import consistent_copy
from ..store.sqlite import reader, sqlite_problem


@dataclass(frozen=True)
class Copied:
    path: Path
    campaign_id: str
    services: int


def copy_campaign(db: Path, out: Path) -> Copied:
    db, out = Path(db), Path(out)
    if out.exists():
        raise UserError(f"{out} : ce fichier existe déjà ; choisissez un autre nom avec --out (une copie "
                        "n'écrase jamais rien). Rien n'a été écrit.")
    store = _open_to_read(db)
    try:
        campaign_id = store.campaign_id()
        services = sum(1 for i in store.items() if i["kind"] == "service" and not i["deleted"])
        try:
            consistent_copy(store.path, out, replace=False)
        except FileExistsError:
            raise UserError(f"{out} : ce fichier est apparu pendant la copie ; choisissez un autre nom avec "
                            "--out. Rien n'a été écrit.") from None
        except (sqlite3.Error, OSError) as exc:
            why = os_reason(exc) if isinstance(exc, OSError) else sqlite_problem(out, exc)[0]
            raise UserError(f"Copie de {db} impossible dans {out.parent} ({why}) ; libérez de la place ou "
                            "choisissez un autre dossier avec --out. Rien n'a été écrit.") from None
    finally:
        store.close()
    return Copied(out, campaign_id, services)


def _open_to_read(db: Path) -> Store:
    """The campaign read-only (the copy never writes it), once at the current schema: a campaign of
    an older one is first opened for writing, which migrates it and gives it its UUID, as any
    opening would; the copy then carries that identity."""
    try:
        return Store.open(db, readonly=True)
    except UserError:
        if _schema(db) >= SCHEMA_VERSION:
            raise  # not a question of format: missing, damaged, not a campaign, newer
    Store.open(db).close()
    return Store.open(db, readonly=True)


def _schema(db: Path) -> int:
    try:
        conn = reader(db)
        try:
            version: int = conn.execute("PRAGMA user_version").fetchone()[0]
            return version
        finally:
            conn.close()
    except sqlite3.Error:
        return SCHEMA_VERSION
