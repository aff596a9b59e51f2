"""Forward-only schema migrations; `PRAGMA user_version` holds the version reached.

Never edit a released step: append a new one. Each step runs inside the same
transaction as the version bump, so a crash leaves the file at a known version. A step is an SQL
statement, or a function of the connection for what SQL cannot compute (a UUID).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable

SCHEMA_VERSION = 5

# The namespace of the identities derived for campaigns made before version 3 (see _give_identity).
LEGACY_NAMESPACE = uuid.UUID("6f1d2c1e-4b0a-4c8e-9a53-2f6c7f0e9d21")


def _give_identity(conn: sqlite3.Connection) -> None:
    """The campaign's UUID (meta `campaign_id`) and one per journal row.

    A new file (nothing in it yet) gets a random one. A campaign made before version 3 gets one
    derived from what it holds since its creation (its creation time, questionnaire and first journal
    row), and each old journal row one derived from that and the row: two copies of one old file,
    migrated apart on two laptops, then agree on the campaign and on their common history, which a
    merge needs. Nothing identifying at all (an empty old file): random, nothing to agree on.
    """
    meta = dict(conn.execute("select key, value from meta"))
    first = conn.execute("select at, author, scope, field, new from journal order by seq limit 1").fetchone()
    if meta.get("created_at") is None and first is None:
        campaign = uuid.uuid4()
    else:
        seed = "\x1f".join(str(x) for x in (meta.get("created_at"), meta.get("referentiel_id"), *(first or ())))
        campaign = uuid.uuid5(LEGACY_NAMESPACE, seed)
    conn.execute("insert into meta(key, value) values('campaign_id', ?)", [f'"{campaign}"'])
    rows = conn.execute("select seq, at, author, scope, field, old, new, op from journal").fetchall()
    conn.executemany("update journal set uuid = ? where seq = ?",
                     [(str(uuid.uuid5(campaign, "\x1f".join(str(x) for x in row))), row[0]) for row in rows])


MIGRATIONS: dict[int, list[str | Callable[[sqlite3.Connection], None]]] = {
    1: [
        "create table meta (key text primary key, value text not null)",
        """create table items (
            id text primary key,
            kind text not null,
            position integer not null,
            deleted integer not null default 0
        )""",
        """create table answers (
            scope text not null,
            field text not null,
            value,  -- number or text as SQLite stores them; JSON text when is_json = 1
            is_json integer not null default 0,
            raw text,
            error text,
            at text not null,
            author text not null,
            primary key (scope, field)
        ) without rowid""",
        """create table journal (
            seq integer primary key autoincrement,
            at text not null,
            author text not null,
            scope text not null,
            field text not null,
            old text,
            new text,
            op text not null,
            batch integer,
            undoes integer
        )""",
        "create index journal_batch on journal(batch)",
        "create index journal_undoes on journal(undoes) where undoes is not null",
    ],
    2: [
        # A team lead's sign-off, with the exact state it covers: the digest of the answers
        # document, the last journal row it saw, and the scores then (for comparison later).
        """create table signoffs (
            id integer primary key autoincrement,
            at text not null,
            name text not null,
            role text not null,
            digest text not null,
            journal_seq integer not null,
            scores text not null
        )""",
    ],
    3: [
        # Team work (DESIGN.md §8): copies of one campaign merge by their common journal history,
        # so every row has an identity no other laptop can give (`seq` stays the local order).
        "alter table journal add column uuid text",
        _give_identity,
        "create unique index journal_uuid on journal(uuid)",
    ],
    4: [
        # Merges (DESIGN.md §8, docs/merge.md): a teammate's journal row brought in by a merge is kept
        # as a record (op 'merged') under a fresh uuid, its own identity in `origin`; what differs is
        # a conflict until someone resolves it (a journaled change, `resolved_batch`).
        "alter table journal add column origin text",
        "create index journal_origin on journal(origin) where origin is not null",
        """create table conflicts (
            id integer primary key autoincrement,
            uuid text not null,  -- the same conflict in every copy a merge carried it to
            scope text not null,
            field text not null,
            other text,  -- the value set against this file's (a JSON cell; null: no value, no item)
            other_author text not null,
            other_at text not null,
            source text not null,  -- the file it came from, as the person named it
            batch integer not null,  -- the merge that found it: undoing that merge voids it
            resolved_batch integer,  -- the change that resolved it (undone: open again)
            resolution text
        )""",
        "create index conflicts_key on conflicts(scope, field)",
        # Who last changed an answer in conflict, and when (the merge screen shows it beside the other's).
        "create index journal_key on journal(scope, field)",
    ],
    5: [
        # An item's existence in conflict carries the rest of the deletion (its indicators, blockers,
        # actions, the gaps they covered): taking the deletion applies it, keeping the item restores it.
        "alter table conflicts add column also text",
    ],
}
