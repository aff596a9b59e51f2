"""Campaign identity (DESIGN.md §8, issue #16 point 1): a campaign UUID fixed at creation, a UUID per
journal row, item ids no other laptop can give, `convergence copy`, and an import that keeps the
identity of the items it names. Real files, a real second process, a real full tmpfs."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import uuid
from pathlib import Path

from convergence_tui.campaign.answers import parse_json
from convergence_tui.cells import ITEM_FIELD
from convergence_tui.store import SCHEMA_VERSION, Store
from convergence_tui.usecases.review import campaign_digest
from convergence_tui.usecases.session import Session
from tests.conftest import MINI
from tests.obstacles import small_disk


def as_schema_2(path: Path) -> None:
    """The same campaign as the release before identities wrote it: no UUIDs anywhere."""
    conn = sqlite3.connect(path)
    conn.execute("drop table conflicts")  # and none of what merges added later (schema 4)
    conn.execute("drop index journal_origin")
    conn.execute("drop index journal_key")
    conn.execute("alter table journal drop column origin")
    conn.execute("drop index journal_uuid")
    conn.execute("alter table journal drop column uuid")
    conn.execute("delete from meta where key = 'campaign_id'")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()


def journal_uuids(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [u for (u,) in conn.execute("select uuid from journal order by seq")]
    finally:
        conn.close()


def campaign_id(path: Path) -> str:
    with Store.open(path, readonly=True) as store:
        return store.campaign_id()


def digest_of(path: Path) -> str:
    with Session.open(path, readonly=True) as s:
        return campaign_digest(s)


def test_a_new_campaign_has_its_own_uuid_and_every_journal_row_one(tmp_path):
    ids = []
    for name in ("a.sqlite", "b.sqlite"):
        with Session.create(tmp_path / name, MINI, author="Yann", answers={"region": "53"}) as s:
            sid = s.add_item("service", {"name": "S", "category": "COORD"})
            s.set_level(sid, "A-1", 2)
            rows = s.journal()
            assert len(rows) >= 3 and all(uuid.UUID(r.uuid) for r in rows)
            ids.append(s.meta()["campaign_id"])
        assert uuid.UUID(ids[-1]).version == 4
        uuids = journal_uuids(tmp_path / name)
        assert None not in uuids and len(set(uuids)) == len(uuids)
    assert ids[0] != ids[1]
    assert set(journal_uuids(tmp_path / "a.sqlite")).isdisjoint(journal_uuids(tmp_path / "b.sqlite"))
    with Store.open(tmp_path / "a.sqlite") as store, store.db.atomic():  # the index refuses a duplicate
        first = journal_uuids(tmp_path / "a.sqlite")[0]
        try:
            store.conn.execute("update journal set uuid = ? where seq = (select max(seq) from journal)", [first])
            raise AssertionError("a duplicate journal uuid was accepted")
        except sqlite3.IntegrityError:
            pass


def test_an_old_campaign_gets_an_identity_its_copies_share_however_migrated(demo_db, tmp_path):
    as_schema_2(demo_db)
    copy = tmp_path / "copie.sqlite"
    shutil.copy(demo_db, copy)  # a closed file copied before either laptop upgraded
    with Session.open(demo_db) as s:  # migrated here…
        s.set_answer("campaign", "grades_name", "GRADeS (Anne)")
    with Session.open(copy) as s:  # …and there, separately
        s.set_answer("campaign", "grades_name", "GRADeS (Paul)")
    for path in (demo_db, copy):
        with Store.open(path, readonly=True) as store:
            assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert campaign_id(demo_db) == campaign_id(copy)
    ours, theirs = journal_uuids(demo_db), journal_uuids(copy)
    assert None not in ours + theirs and len(set(ours)) == len(ours)
    assert ours[:-1] == theirs[:-1]  # the common history: the same rows
    assert ours[-1] != theirs[-1]  # each side's own change: its own identity


def test_two_old_campaigns_get_different_identities(tmp_path):
    paths = []
    for name in ("x.sqlite", "y.sqlite"):
        with Session.create(tmp_path / name, MINI, author="Yann", answers={"region": "53"}):
            pass
        as_schema_2(tmp_path / name)
        Store.open(tmp_path / name).close()
        paths.append(tmp_path / name)
    assert campaign_id(paths[0]) != campaign_id(paths[1])


def test_new_item_ids_are_short_random_and_never_one_the_campaign_held(demo_db, monkeypatch):
    with Session.open(demo_db) as s:
        assert {"svc-1", "b-1", "a-1"} <= set(s.data.items)  # the demo's ids, from its document, unchanged
        sid = s.add_item("service", {"name": "Nouveau"})
        assert re.fullmatch(r"svc-[0-9a-f]{8}", sid)
        bid = s.add_item("blocker")
        assert re.fullmatch(r"b-[0-9a-f]{8}", bid)
        s.delete_item(bid)
        # The next random draw gives the deleted blocker's id again: it is drawn once more.
        # (Then distinct ones, for the journal rows too.)
        draws = iter([uuid.UUID(bid[2:] + "0" * 24), *(uuid.UUID(f"0123abcd{n:024x}") for n in range(10))])
        monkeypatch.setattr(uuid, "uuid4", lambda: next(draws))
        assert s.add_item("blocker") == "b-0123abcd"


def test_import_replace_keeps_the_items_it_names_and_journals_only_what_differs(demo_db, tmp_path, cli):
    with Session.open(demo_db, readonly=True) as s:
        doc = s.answers_document()
        before = dict(s.data.items)
        last = s.last_seq()
    doc["services"][0]["name"] = "ROR renommé"
    gone = doc["actions"].pop()["id"]  # nothing refers to an action
    path = tmp_path / "document.json"
    path.write_text(__import__("json").dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert parse_json(path.read_bytes(), str(path))  # a valid document
    code, _, err = cli("import", path, "--replace", "--db", demo_db)
    assert code == 0, err
    with Session.open(demo_db, readonly=True) as s:
        batch = s.journal(since=last)
        items = s.data.items
    changed = {(r.scope, r.field) for r in batch}
    assert ("svc-1", "name") in changed
    assert all(r.scope == gone or r.scope.startswith(f"{gone}/") or (r.scope, r.field) == ("svc-1", "name")
               for r in batch), sorted(changed)
    assert (gone, ITEM_FIELD) in changed and gone not in items
    assert items == {i: it for i, it in before.items() if i != gone}
    assert {r.op for r in batch} == {"import"} and len({r.batch for r in batch}) == 1
    assert campaign_id(demo_db)  # the same campaign, still


def test_copy_is_the_same_campaign_private_whole_and_alone(demo_db, tmp_path, cli):
    out = tmp_path / "equipe" / "copie.sqlite"
    code, printed, err = cli("copy", "--db", demo_db, "--out", out)
    assert code == 0, err
    assert str(out) in printed and campaign_id(demo_db) in printed
    assert campaign_id(out) == campaign_id(demo_db)
    assert journal_uuids(out) == journal_uuids(demo_db)
    assert digest_of(out) == digest_of(demo_db)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(p.name for p in out.parent.iterdir()) == ["copie.sqlite"]  # no WAL, no temporary file
    with Session.open(out) as s:  # a campaign one can work on
        assert s.set_answer("campaign", "grades_name", "GRADeS (copie)").changed


def test_copy_never_overwrites(demo_db, tmp_path, cli):
    out = tmp_path / "copie.sqlite"
    out.write_bytes(b"le travail de quelqu'un")
    code, _, err = cli("copy", "--db", demo_db, "--out", out)
    assert code == 2 and "existe déjà" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert out.read_bytes() == b"le travail de quelqu'un"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# A TUI has the campaign open (its lock) and is in the middle of a write (an open transaction).
HOLDER = """
import sys
from convergence_tui.store import Store
store = Store.open(sys.argv[1])
store.conn.execute("BEGIN IMMEDIATE")
store.conn.execute("update answers set value = 'pas encore enregistré' where scope = 'campaign' "
                   "and field = 'grades_name'")
print("writing", flush=True)
sys.stdin.read()
store.conn.execute("ROLLBACK")
store.close()
"""


def test_copy_while_another_process_holds_the_campaign_in_a_write(demo_db, tmp_path, cli):
    with Session.open(demo_db) as s:
        assert s.set_answer("campaign", "grades_name", "GRADeS enregistré").changed
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(demo_db)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        out = tmp_path / "copie.sqlite"
        code, _, err = cli("copy", "--db", demo_db, "--out", out)
        assert code == 0, err
    finally:
        proc.stdin.close()
        assert proc.wait(timeout=10) == 0
    with Session.open(out, readonly=True) as s:
        assert s.data.value("campaign", "grades_name") == "GRADeS enregistré"  # the last committed state
    assert campaign_id(out) == campaign_id(demo_db)
    assert digest_of(out) == digest_of(demo_db)


def test_copy_on_a_full_disk_says_so_and_leaves_nothing(demo_db, tmp_path, cli):
    with small_disk(tmp_path / "disque", "8m") as disk:
        disk.fill()
        code, _, err = cli("copy", "--db", demo_db, "--out", disk.folder / "copie.sqlite")
        assert code == 2, err
        assert "disque plein" in err and "Rien n'a été écrit" in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
        assert sorted(p.name for p in disk.folder.iterdir()) == ["filler.bin"]
    assert digest_of(demo_db)  # the campaign itself is untouched and readable


def test_copy_of_an_old_campaign_migrates_it_first_and_carries_its_identity(demo_db, tmp_path, cli):
    as_schema_2(demo_db)
    out = tmp_path / "copie.sqlite"
    code, _, err = cli("copy", "--db", demo_db, "--out", out)
    assert code == 0, err
    assert campaign_id(out) == campaign_id(demo_db)
    assert journal_uuids(out) == journal_uuids(demo_db) and None not in journal_uuids(out)


def test_copy_of_a_missing_campaign_is_one_french_sentence(tmp_path, cli):
    code, _, err = cli("copy", "--db", tmp_path / "absente.sqlite", "--out", tmp_path / "copie.sqlite")
    assert code == 2 and "introuvable" in err and "Traceback" not in err
    assert not (tmp_path / "copie.sqlite").exists()
    assert os.listdir(tmp_path) == []
