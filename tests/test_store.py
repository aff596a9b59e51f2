"""The campaign file: durable settings, forward migrations, value + journal in one transaction."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from convergence_tui.errors import UserError
from convergence_tui.store import SCHEMA_VERSION, Cell, Change, Store


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_file_settings(tmp_path):
    path = tmp_path / "c.sqlite"
    with Store.open(path, create=True) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.integrity_ok()


def test_missing_file_without_create(tmp_path):
    with pytest.raises(UserError, match="introuvable"):
        Store.open(tmp_path / "absent.sqlite")


def test_migrates_an_old_file_forward(tmp_path):
    path = tmp_path / "old.sqlite"
    sqlite3.connect(path).close()  # version 0: an empty database
    with Store.open(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert {"meta", "items", "answers", "journal"} <= set(store.db.table_names())


def test_newer_schema_refused_untouched(tmp_path):
    path = tmp_path / "new.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(UserError, match="version plus récente"):
        Store.open(path)
    assert digest(path) == before


def test_not_sqlite_refused_untouched(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("ceci n'est pas une base\n" * 100)
    before = digest(path)
    with pytest.raises(UserError, match="pas une base SQLite"):
        Store.open(path)
    assert digest(path) == before


def test_value_and_journal_in_one_transaction(tmp_path):
    path = tmp_path / "c.sqlite"
    with Store.open(path, create=True) as store:
        store.apply([Change("campaign", "siret", None, Cell(None, "123", "un SIRET a 14 chiffres"))], "Camille")
        store.apply([Change("campaign", "siret", Cell(None, "123", "x"), Cell("73282932000074", "73282932000074"))], "Yann")
    # A separate connection sees both the values and the journal: they were committed.
    other = sqlite3.connect(path)
    assert other.execute("select value, raw, error, author from answers").fetchall() == [
        ("73282932000074", "73282932000074", None, "Yann")
    ]
    rows = other.execute("select author, scope, field, old, new, op from journal order by seq").fetchall()
    assert [r[0] for r in rows] == ["Camille", "Yann"]
    assert rows[0][3] is None and '"error": "un SIRET a 14 chiffres"' in rows[0][4]
    assert '"raw": "123"' in rows[1][3]


def test_failed_transaction_writes_nothing(tmp_path):
    path = tmp_path / "c.sqlite"
    with Store.open(path, create=True) as store:
        bad = Change("campaign", "x", None, Cell(object()))  # not JSON-serialisable: fails mid-batch
        with pytest.raises(TypeError):
            store.apply([Change("campaign", "a", None, Cell(1)), bad], "Camille")
        assert store.conn.execute("select count(*) from answers").fetchone()[0] == 0
        assert store.conn.execute("select count(*) from journal").fetchone()[0] == 0


def test_readonly_refuses_writes(tmp_path):
    path = tmp_path / "c.sqlite"
    Store.open(path, create=True).close()
    with Store.open(path, readonly=True) as store, pytest.raises(UserError, match="lecture seule"):
        store.apply([Change("campaign", "a", None, Cell(1))], "Camille")
