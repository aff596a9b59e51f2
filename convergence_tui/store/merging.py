"""What a merge reads from two copies of a campaign and writes into one (docs/merge.md).

A row's *identity* is its uuid, or for a teammate's row recorded here by an earlier merge (op
'merged') the identity it had there (`origin`): the same change has the same identity in every copy.
A file *knows* the identities of its rows, except the records of a merge that was undone (undoing a
merge forgets what it brought, so merging again brings it again).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..cells import ITEM_FIELD, Cell, Change
from .db import INSERT_JOURNAL, Store, _dump, _load, decode_value, journal_row, now_utc, write_changes

UNDONE = "select undoes from journal where undoes is not null"
UNDONE_MERGES = ("select undoes from journal where op = 'undo' and undoes in "
                 "(select batch from journal where op = 'merge')")
# What a file knows: every row but those of an undone merge and of its undo (undoing a merge forgets it:
# merging again brings the same again), and no migration of the questionnaire.
KNOWN = (f"from journal where op != 'migrate' and batch not in ({UNDONE_MERGES}) "
         f"and not (op = 'undo' and undoes in ({UNDONE_MERGES}))")
# A conflict is void when the merge that found it was undone, open until a change still in effect resolved it.
OPEN = (f"batch not in ({UNDONE}) and (resolved_batch is null or resolved_batch in ({UNDONE}))")


# A row a file knows: (identity, scope, field, at, author, seq, batch). Plain tuples: a campaign's journal has
# tens of thousands of rows, read on each merge.
Known = tuple[str, str, str, str, str, int, int]
# The rest of a deletion, carried by the conflict on the item: (scope, field, value) to write with it.
Also = tuple[tuple[str, str, Cell | None], ...]


@dataclass(frozen=True, slots=True)
class Conflict:
    id: int  # local
    uuid: str
    scope: str
    field: str
    other: Cell | None
    other_author: str
    other_at: str
    source: str
    also: Also = ()


@dataclass(frozen=True, slots=True)
class NewConflict:
    """A conflict a merge stores: found by it (`direct`), or an open one of the teammate's, carried
    here; `settled` when the value it offers is the one this file now holds (stored closed, so that
    merging again knows it)."""

    uuid: str
    scope: str
    field: str
    other: Cell | None
    who: str
    when: str
    direct: bool = True
    settled: bool = False
    also: Also = ()


@dataclass(frozen=True, slots=True)
class Record:
    """A teammate's journal row, as it is written into this file's journal."""

    identity: str
    at: str
    author: str
    scope: str
    field: str
    old: str | None
    new: str | None


def known(store: Store) -> list[Known]:
    """The rows the file knows, oldest first."""
    rows: list[Known] = store.conn.execute(
        f"select coalesce(origin, uuid), scope, field, at, author, seq, batch {KNOWN} order by seq").fetchall()
    return rows


def records(store: Store, seqs: Sequence[int]) -> list[Record]:
    """The file's rows `seqs`, oldest first, to be recorded in another file."""
    found: list[Record] = []
    for start in range(0, len(seqs), 500):
        chunk = list(seqs[start:start + 500])
        found += [Record(*row) for row in store.conn.execute(
            "select coalesce(origin, uuid), at, author, scope, field, old, new from journal "
            f"where seq in ({', '.join('?' * len(chunk))}) order by seq", chunk)]
    return found


def values(store: Store, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Cell]:
    """The answers (and items' states) the file holds for these keys; a key it has no value for is absent.
    Looked up a few hundred at a time (a merge asks for thousands)."""
    found = {}
    conn = store.conn
    wanted = list(keys)
    items = [scope for scope, field in wanted if field == ITEM_FIELD]
    answers = [key for key in wanted if key[1] != ITEM_FIELD]
    for start in range(0, len(items), 500):
        ids = items[start:start + 500]
        for item_id, kind, position, deleted in conn.execute(
                f"select id, kind, position, deleted from items where id in ({', '.join('?' * len(ids))})", ids):
            found[(item_id, ITEM_FIELD)] = Cell({"kind": kind, "position": position, "deleted": bool(deleted)})
    for start in range(0, len(answers), 400):
        chunk = answers[start:start + 400]
        pairs = ", ".join(["(?, ?)"] * len(chunk))
        for scope, field, value, is_json, raw, error in conn.execute(
                f"with k(s, f) as (values {pairs}) select scope, field, value, is_json, raw, error "
                "from answers join k on scope = k.s and field = k.f", [x for key in chunk for x in key]):
            found[(scope, field)] = Cell(decode_value(value, is_json), raw, error)
    return found


def open_conflicts(store: Store) -> list[Conflict]:
    rows = store.conn.execute(
        "select id, uuid, scope, field, other, other_author, other_at, source, also from conflicts "
        f"where {OPEN} order by id")
    return [Conflict(i, u, s, f, _load(o), a, at, src, _load_also(also))
            for i, u, s, f, o, a, at, src, also in rows]


def _dump_also(also: Also) -> str | None:
    return json.dumps([[s, f, _dump(c)] for s, f, c in also], ensure_ascii=False) if also else None


def _load_also(text: str | None) -> Also:
    return tuple((s, f, _load(c)) for s, f, c in json.loads(text)) if text else ()


def last_batch(store: Store, key: tuple[str, str]) -> int | None:
    """The batch of this file's own latest change of an answer (a teammate's row recorded here is not)."""
    row = store.conn.execute("select batch from journal where scope = ? and field = ? and op != 'merged' "
                             "order by seq desc limit 1", list(key)).fetchone()
    return row[0] if row else None


def batch_rows(store: Store, batch: int) -> list[tuple[str, str, Cell | None, Cell | None]]:
    """(scope, field, old, new) of the rows of one batch, oldest first."""
    rows = store.conn.execute("select scope, field, old, new from journal where batch = ? and op != 'merged' "
                              "order by seq", [batch])
    return [(s, f, _load(o), _load(n)) for s, f, o, n in rows]


def last_changes(store: Store, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """(author, at) of the latest journal row of each answer (an undo or a merge is one too)."""
    found = {}
    for scope, field in keys:
        # A teammate's row recorded here by a merge did not set the value this file holds. An item's
        # existence: its latest change, of any of its answers (who worked on it).
        if field == ITEM_FIELD:
            row = store.conn.execute(
                "select author, at from journal where (scope = ? or (scope >= ? and scope < ?)) and op != 'merged' "
                "order by seq desc limit 1", [scope, scope + "/", scope + "0"]).fetchone()
        else:
            row = store.conn.execute("select author, at from journal where scope = ? and field = ? "
                                     "and op != 'merged' order by seq desc limit 1", [scope, field]).fetchone()
        if row is not None:
            found[(scope, field)] = (row[0], row[1])
    return found


def resolved_conflicts(store: Store) -> set[str]:
    """The conflicts this file resolved (by a change still in effect)."""
    rows = store.conn.execute(
        f"select uuid from conflicts where batch not in ({UNDONE}) and resolved_batch is not null "
        f"and resolved_batch not in ({UNDONE})")
    return {u for (u,) in rows}


@dataclass
class MergeWrite:
    """Everything one merge writes, in one transaction and one batch (undone as one)."""

    source: str
    author: str
    marker: dict[str, Any]  # what the journal says of the merge (field @merge)
    records: Sequence[Record]
    # A teammate's value, with their author and time, under the identity of their row that set it: a
    # value taken is no change of ours (the teammate changing it again is no conflict).
    takes: Sequence[tuple[Change, str, str, str | None]]
    resolutions: Sequence[Change]  # --prefer: the value each new conflict is resolved to
    conflicts: Sequence[NewConflict]
    resolved: str = ""  # the resolution of the new open conflicts when `resolutions` are given
    closed: Sequence[int] = ()  # open conflicts a teammate resolved, closed here


def write_merge(store: Store, merge: MergeWrite) -> int:
    """Write the merge; returns its batch. A file changes only as a whole or not at all."""
    from .db import JOURNAL_ONLY

    at = now_utc()
    conn = store.conn
    with store._write():
        # Records alone (the teammate's history, no answer changed here) make no step to undo: no marker.
        batch = None
        if merge.takes or merge.conflicts or merge.closed:
            batch = write_changes(conn, [Change("campaign", JOURNAL_ONLY, None, Cell(merge.marker))], at,
                                  merge.author, "merge")
        rest = list(merge.records)
        if rest and batch is None:  # the records open the batch
            r = rest.pop(0)
            batch = journal_row(conn, r.at, r.author, r.scope, r.field, r.old, r.new, "merged", None,
                                origin=r.identity)
        conn.executemany(INSERT_JOURNAL, [(r.at, r.author, r.scope, r.field, r.old, r.new, "merged", batch, None,
                                           str(uuid.uuid4()), r.identity) for r in rest])
        assert batch is not None, "a merge writes something"
        write_changes(conn, [change for change, *_ in merge.takes], at, merge.author, "merge", batch=batch,
                      stamps=[(when, who, origin) for _change, who, when, origin in merge.takes])
        ids: list[int | None] = []
        settled: list[int | None] = []
        for c in merge.conflicts:
            cur = conn.execute(
                "insert into conflicts(uuid, scope, field, other, other_author, other_at, source, batch, also) "
                "values(?, ?, ?, ?, ?, ?, ?, ?, ?)", [c.uuid, c.scope, c.field, _dump(c.other), c.who, c.when,
                                                      merge.source, batch, _dump_also(c.also)])
            (settled if c.settled else ids).append(cur.lastrowid)
        conn.executemany("update conflicts set resolved_batch = ?, resolution = 'fusion' where id = ?",
                         [(batch, cid) for cid in settled])
        if merge.resolutions:
            write_changes(conn, merge.resolutions, at, merge.author, "resolve", batch=batch)
            conn.executemany("update conflicts set resolved_batch = ?, resolution = ? where id = ?",
                             [(batch, merge.resolved, cid) for cid in ids])
        conn.executemany("update conflicts set resolved_batch = ?, resolution = 'fusion' where id = ?",
                         [(batch, cid) for cid in merge.closed])
    return batch


def new_uuid() -> str:
    return str(uuid.uuid4())


__all__ = [
    "Also",
    "Conflict",
    "Known",
    "MergeWrite",
    "NewConflict",
    "Record",
    "batch_rows",
    "known",
    "last_batch",
    "last_changes",
    "new_uuid",
    "open_conflicts",
    "records",
    "resolved_conflicts",
    "values",
    "write_merge",
]
