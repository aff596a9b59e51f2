"""One campaign per SQLite file: answers, repeating items and an append-only journal.

Every change the user makes is one transaction that writes the new value and
its journal row (when, who, old, new); WAL with `synchronous=FULL` makes the
commit durable before the call returns. The store knows nothing about scoring
or screens: it keeps what it is given, valid or not.
"""

from __future__ import annotations

import datetime as dt
import errno
import itertools
import json
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cells import ITEM_FIELD, Cell, Change, JournalRow
from ..errors import CampaignLocked, UserError, os_reason
from .lock import CampaignLock
from .migrations import MIGRATIONS, SCHEMA_VERSION
from .sqlite import (
    _french_sqlite_error,
    check_integrity,
    check_is_sqlite,
    create_private,
    read_answers,
    read_items,
    reader,
    sqlite_problem,
)

if TYPE_CHECKING:  # sqlite-utils is imported on first write (see Store.db)
    from contextlib import AbstractContextManager

    import sqlite_utils

def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _dump(cell: Cell | None) -> str | None:
    if cell is None:
        return None
    return json.dumps({"value": cell.value, "raw": cell.raw, "error": cell.error}, ensure_ascii=False)


def _load(text: str | None) -> Cell | None:
    if text is None:
        return None
    d = json.loads(text)
    return Cell(d.get("value"), d.get("raw"), d.get("error"))


def encode_value(value: Any) -> tuple[Any, int]:
    """Numbers and strings are stored as SQLite values; lists and booleans as JSON (flag 1)."""
    if value is None or (isinstance(value, (int, float, str)) and not isinstance(value, bool)):
        return value, 0
    return json.dumps(value, ensure_ascii=False), 1


def decode_value(value: Any, is_json: int) -> Any:
    return json.loads(value) if is_json else value


class Store:
    """A campaign file. Open with `Store.open()`; close when done."""

    def __init__(self, path: Path, conn: sqlite3.Connection, readonly: bool, lock: CampaignLock | None = None) -> None:
        self.checked = True  # integrity checked (see open(check=...))
        self.path = path
        self.conn = conn
        self.readonly = readonly
        self.lock = lock

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the same connection, for writes and maintenance.

        Imported on first use: reading a campaign (status, start-up) does not
        pay for it; the TUI warms it up in the background after its first paint.
        """
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    # --- opening -----------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, create: bool = False, readonly: bool = False, check: bool = True) -> Store:
        """`check=False` leaves the integrity check to the caller (`check_integrity`, e.g. in a background
        thread) unless the file must be migrated; `checked` says whether it was done here."""
        path = Path(path)
        exists = path.exists()
        if not exists and not create:
            raise UserError(
                f"{path} : fichier de campagne introuvable ; lancez « convergence » pour le créer "
                "ou « convergence demo » pour une campagne d'exemple."
            )
        if exists:
            check_is_sqlite(path)
        elif not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        lock = None
        if not readonly:
            lock = CampaignLock(path)
            try:
                locked = lock.acquire()
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise UserError(f"{path} : {os_reason(exc)} (impossible de créer {lock.path.name}) ; libérez de "
                                    "la place puis réessayez. Rien n'a été modifié.") from None
                raise UserError(f"{path} : dossier non modifiable ({os_reason(exc)}) ; la campagne ne peut être "
                                "ouverte qu'en lecture (--review) ou copiez-la dans un dossier à vous.") from None
            if not locked:
                raise CampaignLocked(
                    f"{path} est déjà ouvert en écriture par un autre programme convergence (processus "
                    f"{lock.holder()}) ; fermez-le, ou ouvrez la campagne en lecture seule (--review)."
                )
        side_files = {s: Path(f"{path}{s}").exists() for s in ("-wal", "-shm")}
        conn = None
        try:
            if readonly:
                conn = reader(path)
            else:
                if not exists:
                    create_private(path)
                conn = sqlite3.connect(path)
            store = cls(path, conn, readonly, lock)
            store._prepare(check)
        except (sqlite3.Error, UserError) as exc:
            if conn is not None:
                conn.close()
            if lock is not None:
                lock.release()
            for suffix, existed in side_files.items():  # leave the folder as it was
                if not existed:
                    try:
                        Path(f"{path}{suffix}").unlink(missing_ok=True)
                    except OSError:  # a read-only folder: nothing was created there either
                        pass
            if isinstance(exc, UserError):
                raise
            raise _french_sqlite_error(path, exc) from None
        return store

    def _prepare(self, check: bool = True) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        self.checked = self.readonly or not version
        if not self.readonly and version and (check or version < SCHEMA_VERSION):
            # Before anything is written: a damaged file is reported and left as it is.
            check_integrity(self.conn)
            self.checked = True
        if version > SCHEMA_VERSION:
            raise UserError(
                f"{self.path} : campagne enregistrée par une version plus récente de convergence-tui "
                f"(schéma {version}, celui-ci connaît {SCHEMA_VERSION}) ; mettez l'outil à jour. "
                "Le fichier n'a pas été modifié."
            )
        if not self.readonly:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            if version < SCHEMA_VERSION:
                self._migrate(version)
        elif version < SCHEMA_VERSION:
            raise UserError(
                f"{self.path} : campagne d'un ancien format, ouverte en lecture seule ; "
                "ouvrez-la une fois en écriture pour la mettre à jour."
            )
        self.conn.execute("PRAGMA foreign_keys=ON")

    def _migrate(self, version: int) -> None:
        with self.db.atomic():
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for step in MIGRATIONS[target]:
                    if callable(step):
                        step(self.conn)
                    else:
                        self.db.execute(step)
            # PRAGMA user_version is transactional in SQLite: it commits with the schema.
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def set_busy_timeout(self, seconds: float) -> None:
        """How long a statement waits for a lock held by another connection before "database is locked"."""
        self.conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")

    def close(self) -> None:
        try:
            self.conn.close()
        finally:
            if self.lock is not None:
                self.lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading -----------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        return {key: json.loads(value) for key, value in self.conn.execute("select key, value from meta")}

    def campaign_id(self) -> str:
        """The campaign's UUID: the same in every copy of it (DESIGN.md §8), fixed at creation."""
        found: str = self.meta()["campaign_id"]
        return found

    def items(self) -> list[dict[str, Any]]:
        return read_items(self.conn)

    def answers(self, part: str = "all") -> Iterator[tuple[str, str, Cell]]:
        """All answers, or the `essential` part (what scores and the first screen need) or the
        `deferred` rest, so that a large campaign opens without waiting for its long lists."""
        return read_answers(self.conn, part)

    def journal(self, *, since: int = 0, limit: int | None = None) -> list[JournalRow]:
        sql = "select * from journal where seq > ? order by seq desc"
        params: list[Any] = [since]
        if limit:
            sql += " limit ?"
            params.append(limit)
        return [
            JournalRow(r["seq"], r["at"], r["author"], r["scope"], r["field"], _load(r["old"]), _load(r["new"]),
                       r["op"], r["batch"], r["uuid"])
            for r in self._rows(sql, params)
        ]

    def _rows(self, sql: str, params: list[Any]) -> Iterator[dict[str, Any]]:
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        for row in cursor:
            yield dict(zip(names, row, strict=True))

    def last_seq(self) -> int:
        seq: int = self.conn.execute("select coalesce(max(seq), 0) from journal").fetchone()[0]
        return seq

    def last_undoable_batch(self) -> list[JournalRow]:
        row = self.conn.execute(
            "select batch from journal where op not in ('undo', 'migrate', 'merged') and batch not in "
            "(select undoes from journal where undoes is not null) order by seq desc limit 1"
        ).fetchone()
        if row is None:
            return []
        return [
            JournalRow(r["seq"], r["at"], r["author"], r["scope"], r["field"], _load(r["old"]), _load(r["new"]),
                       r["op"], r["batch"], r["uuid"])
            for r in self._rows("select * from journal where batch = ? order by seq desc", [row[0]])
        ]

    # --- writing -----------------------------------------------------------

    def _write(self) -> AbstractContextManager[sqlite_utils.Database]:
        """A write transaction, never on an unchecked file (see open(check=False))."""
        if not self.checked:
            try:
                check_integrity(self.conn)
            except sqlite3.DatabaseError as exc:
                raise _french_sqlite_error(self.path, exc) from None
            self.checked = True
        return self.db.atomic()

    def set_meta(self, **values: Any) -> None:
        with self._write():
            for key, value in values.items():
                self.db.execute(
                    "insert into meta(key, value) values(?, ?) on conflict(key) do update set value = excluded.value",
                    [key, json.dumps(value, ensure_ascii=False)],
                )

    def apply(
        self, changes: Sequence[Change], author: str, *, op: str = "set", undoes: int | None = None,
        resolves: Sequence[int] = (), resolution: str = "",
    ) -> int:
        """Write changes and their journal rows in one transaction; return the batch id. `resolves`:
        the conflicts (store/merging.py) these changes resolve, closed in the same transaction."""
        if self.readonly:
            raise UserError(f"{self.path} : campagne ouverte en lecture seule ; aucune modification possible.")
        at = now_utc()
        with self._write():
            batch = write_changes(self.conn, changes, at, author, op, undoes=undoes)
            if resolves:
                self.conn.executemany("update conflicts set resolved_batch = ?, resolution = ? where id = ?",
                                      [(batch, resolution, cid) for cid in resolves])
        return batch or 0

    def repin(self, old: dict[str, Any], new: dict[str, Any], author: str) -> None:
        """Pin the campaign to another questionnaire version; journaled, no answer touched."""
        with self._write():
            self.conn.execute(
                "insert into journal(at, author, scope, field, old, new, op, uuid) values(?, ?, ?, ?, ?, ?, ?, ?)",
                [now_utc(), author, "campaign", "@referentiel", json.dumps(old), json.dumps(new), "migrate",
                 str(uuid.uuid4())],
            )
            self.conn.execute("update journal set batch = seq where batch is null")
            for key, value in (("referentiel_version", new["version"]), ("referentiel_sha256", new["sha256"])):
                self.conn.execute("update meta set value = ? where key = ?", [json.dumps(value), key])

    def add_signoff(
        self, name: str, role: str, digest: str, journal_seq: int, scores: dict[str, Any]
    ) -> dict[str, Any]:
        if self.readonly:
            raise UserError(f"{self.path} : campagne ouverte en lecture seule ; la validation n'est pas possible.")
        row = {"at": now_utc(), "name": name, "role": role, "digest": digest, "journal_seq": journal_seq,
               "scores": json.dumps(scores, ensure_ascii=False)}
        with self._write():
            cur = self.conn.execute(
                "insert into signoffs(at, name, role, digest, journal_seq, scores) values(?, ?, ?, ?, ?, ?)",
                [row["at"], name, role, digest, journal_seq, row["scores"]],
            )
        return {**row, "id": cur.lastrowid, "scores": scores}

    def signoffs(self) -> list[dict[str, Any]]:
        rows = self._rows("select * from signoffs order by id", [])
        return [{**r, "scores": json.loads(r["scores"])} for r in rows]

    # --- maintenance ---------------------------------------------------------

    def seal(self) -> None:
        """Fold the write-ahead log into the file and check it: a new campaign is renamed into place
        only once the file alone holds it. (Closing folds the log silently, and on a full disk it
        cannot: the file would be renamed without its content.)"""
        try:
            busy, logged, folded = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy or logged != folded:
                raise sqlite3.OperationalError("database or disk is full")
            check_integrity(self.conn)
        except sqlite3.Error as exc:
            raise _french_sqlite_error(self.path, exc) from None

    def integrity_ok(self) -> bool:
        result: str = self.conn.execute("PRAGMA integrity_check").fetchone()[0]
        return result == "ok"

    def backup_to(self, target: Path) -> None:
        """A consistent copy (store/copies.py) replacing `target`; a failure (a full disk) leaves
        nothing and is a UserError."""
        from .copies import consistent_copy

        try:
            consistent_copy(self.path, target, replace=True)
        except (sqlite3.Error, OSError) as exc:
            why = os_reason(exc) if isinstance(exc, OSError) else sqlite_problem(target, exc)[0]
            raise UserError(f"Sauvegarde de {self.path} impossible dans {target.parent} ({why}) ; "
                            "libérez de la place dans ce dossier.") from None


JOURNAL_ONLY = "@merge"  # a field journaled (what a merge brought, docs/merge.md) that is no answer


UPSERT_ITEM = ("insert into items(id, kind, position, deleted) values(?, ?, ?, ?) on conflict(id) do "
               "update set kind = excluded.kind, position = excluded.position, deleted = excluded.deleted")
UPSERT_ANSWER = ("insert into answers(scope, field, value, is_json, raw, error, at, author) "
                 "values(?, ?, ?, ?, ?, ?, ?, ?) on conflict(scope, field) do update set "
                 "value = excluded.value, is_json = excluded.is_json, raw = excluded.raw, "
                 "error = excluded.error, at = excluded.at, author = excluded.author")
INSERT_JOURNAL = ("insert into journal(at, author, scope, field, old, new, op, batch, undoes, uuid, origin) "
                  "values(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def write_changes(conn: sqlite3.Connection, changes: Sequence[Change], at: str, author: str, op: str, *,
                  undoes: int | None = None, batch: int | None = None, origin: str | None = None,
                  stamps: Sequence[tuple[str, str, str | None]] | None = None) -> int:
    """Each change's new value and its journal row (inside the caller's transaction); the batch is the
    first row's `seq` unless one is given. Answers get `at`/`author`, or each its own (at, author,
    origin) from `stamps` (a merge gives a teammate's). Written in bulk: a merge or an import writes
    thousands."""
    # In order (a batch may set an answer then remove it: an undo), consecutive writes of one kind together.
    writes: list[tuple[str, tuple[Any, ...]]] = []
    journal: list[list[Any]] = []
    for n, ch in enumerate(changes):
        when, who, row_origin = stamps[n] if stamps is not None else (at, author, origin)
        if ch.field == ITEM_FIELD:
            state = ch.new.value if ch.new else None
            if state is None:
                writes.append(("delete from items where id = ?", (ch.scope,)))
            else:
                writes.append((UPSERT_ITEM, (ch.scope, state["kind"], state["position"],
                                             int(state.get("deleted", False)))))
        elif ch.field == JOURNAL_ONLY:
            pass
        elif ch.new is None:
            writes.append(("delete from answers where scope = ? and field = ?", (ch.scope, ch.field)))
        else:
            value, is_json = encode_value(ch.new.value)
            writes.append((UPSERT_ANSWER, (ch.scope, ch.field, value, is_json, ch.new.raw, ch.new.error, when, who)))
        journal.append([when, who, ch.scope, ch.field, _dump(ch.old), _dump(ch.new), op, batch, undoes,
                        str(uuid.uuid4()), row_origin])
    for sql, run in itertools.groupby(writes, key=lambda w: w[0]):
        conn.executemany(sql, [params for _sql, params in run])
    if journal and batch is None:
        first = journal.pop(0)
        batch = journal_row(conn, first[0], first[1], first[2], first[3], first[4], first[5], op, None, undoes,
                            first[10])
        for row in journal:
            row[7] = batch
    conn.executemany(INSERT_JOURNAL, journal)
    return batch or 0


def journal_row(conn: sqlite3.Connection, at: str, author: str, scope: str, field: str, old: str | None,
                new: str | None, op: str, batch: int | None, undoes: int | None = None,
                origin: str | None = None) -> int:
    """Append one journal row (a fresh uuid); returns its batch (its own seq when it opens one)."""
    cur = conn.execute(INSERT_JOURNAL, [at, author, scope, field, old, new, op, batch, undoes, str(uuid.uuid4()),
                                        origin])
    if batch is None:
        batch = cur.lastrowid or 0
        conn.execute("update journal set batch = ? where seq = ?", [batch, batch])
    return batch


def preload() -> None:
    """Import what writing needs, ahead of the first write (called from a background thread)."""
    import sqlite_utils  # noqa: F401


