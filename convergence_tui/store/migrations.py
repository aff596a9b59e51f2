"""Forward-only schema migrations; `PRAGMA user_version` holds the version reached.

Never edit a released step: append a new one. Each step runs inside the same
transaction as the version bump, so a crash leaves the file at a known version.
"""

SCHEMA_VERSION = 2

MIGRATIONS: dict[int, list[str]] = {
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
}
