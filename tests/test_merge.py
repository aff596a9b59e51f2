"""Team merge, answer by answer (DESIGN.md §8, issue #16 points 2–5): real campaign files, copies made
with `convergence copy`, the real CLI. The properties over random edit scripts are in
test_merge_properties.py; the keyboard resolution in a real terminal in test_e2e_merge.py."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from convergence_tui.cells import ITEM_FIELD
from convergence_tui.errors import UserError
from convergence_tui.store import SCHEMA_VERSION
from convergence_tui.usecases.conflicts import resolve, resolve_all
from convergence_tui.usecases.copying import copy_campaign
from convergence_tui.usecases.merging import merge
from convergence_tui.usecases.review import campaign_digest, export_blockers, sign_off, signoff_state
from convergence_tui.usecases.session import Session
from tests.conftest import MINI


def pair(complete_db: Path, tmp_path: Path) -> tuple[Path, Path]:
    ours, theirs = tmp_path / "anne.sqlite", tmp_path / "paul.sqlite"
    shutil.copy(complete_db, ours)
    copy_campaign(ours, theirs)
    return ours, theirs


def services(db: Path) -> list[str]:
    with Session.open(db, MINI, readonly=True) as s:
        return [i.id for i in s.data.live("service")]


def edit(db: Path, author: str, *writes: tuple[str, str, object]) -> None:
    with Session.open(db, MINI, author=author) as s:
        for scope, field, value in writes:
            s.set_answer(scope, field, value)


def value(db: Path, scope: str, field: str) -> object:
    with Session.open(db, MINI, readonly=True) as s:
        return s.data.value(scope, field)


def fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_their_only_changes_are_taken_with_their_author_and_time(complete_db, tmp_path):
    ours, theirs = pair(complete_db, tmp_path)
    s1, s2 = services(ours)
    edit(theirs, "Paul", (s1, "name", "Annuaire (Paul)"), (f"{s2}/A-1", "comment", "vu avec l'éditeur"))
    edit(ours, "Anne", (f"{s1}/A-2", "comment", "à revoir"))
    before = fingerprint(theirs)
    with Session.open(ours, MINI, author="Anne") as s:
        done = merge(s, theirs)
        assert sorted(done.taken) == sorted([(s1, "name"), (f"{s2}/A-1", "comment")])
        assert done.conflicts == 0 and done.teammates == ["Paul"]
        assert s.data.value(s1, "name") == "Annuaire (Paul)"  # in memory at once
        assert s.data.value(f"{s1}/A-2", "comment") == "à revoir"  # ours kept
        newest = next(r for r in s.journal() if r.scope == s1 and r.field == "name")
        assert (newest.author, newest.op) == ("Paul", "merge")  # the value taken, as Paul's change
    assert fingerprint(theirs) == before  # read only, never changed
    assert value(ours, s1, "name") == "Annuaire (Paul)"  # in the file
    conn = sqlite3.connect(ours)
    assert conn.execute("select author from answers where scope = ? and field = 'name'", [s1]).fetchone() == ("Paul",)


def test_the_same_value_on_both_sides_is_no_conflict_and_a_second_merge_changes_nothing(complete_db, tmp_path):
    ours, theirs = pair(complete_db, tmp_path)
    s1, _ = services(ours)
    edit(ours, "Anne", (s1, "name", "Annuaire régional"))
    edit(theirs, "Paul", (s1, "name", "Annuaire régional"))
    with Session.open(ours, MINI, author="Anne") as s:
        first = merge(s, theirs)
        assert first.conflicts == 0 and first.taken == []
        seq, digest = s.last_seq(), campaign_digest(s)
        again = merge(s, theirs)
        assert again.nothing_new and s.last_seq() == seq and campaign_digest(s) == digest


def test_different_values_are_a_conflict_stored_with_both_values_who_and_when(complete_db, tmp_path, cli,
                                                                             monkeypatch):
    ours, theirs = pair(complete_db, tmp_path)
    s1, _ = services(ours)
    edit(ours, "Anne", (f"{s1}/A-1", "comment", "Anne : à 2"))
    edit(theirs, "Paul", (f"{s1}/A-1", "comment", "Paul : à 3"))
    code, out, err = cli("merge", "--referentiel", MINI, "--db", ours, theirs)
    assert code == 3 and "1 nouveau conflit" in out and "1 conflit à résoudre" in err
    with Session.open(ours, MINI, readonly=True) as s:
        (c,) = s.conflicts()
        assert (c.scope, c.field, c.other.value, c.other_author) == (f"{s1}/A-1", "comment", "Paul : à 3", "Paul")
        assert c.other_at.startswith("20") and c.source.endswith("paul.sqlite")
        assert s.data.value(f"{s1}/A-1", "comment") == "Anne : à 2"  # never decided silently
        assert [p.kind for p in export_blockers(s)].count("conflict") == 1
    code, out, _ = cli("status", "--referentiel", MINI, "--db", ours)
    assert "1 conflit de fusion à résoudre" in out
    code, out, err = cli("merge", "--referentiel", MINI, "--db", ours, theirs)  # idempotent: nothing new, still 3
    assert code == 3 and "rien de nouveau" in out
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", "motdepasse-equipe")
    assert cli("keygen", "--out", tmp_path / "anne.p12", "--name", "Anne")[0] == 0
    with Session.open(ours, MINI, author="Anne") as s:
        sign_off(s, "Anne", "responsable")  # only the conflict is left
    code, _, err = cli("export", "--referentiel", MINI, "--db", ours, "--out", tmp_path / "out", "--p12",
                       tmp_path / "anne.p12")
    assert code == 2 and "1 conflit de fusion à résoudre" in err and not (tmp_path / "out").exists(), err
    code, out, _ = cli("merge", "--referentiel", MINI, "--db", ours, "--prefer", "theirs")
    assert code == 0 and "1 conflit résolu" in out
    assert value(ours, f"{s1}/A-1", "comment") == "Paul : à 3"
    with Session.open(ours, MINI, readonly=True) as s:
        assert s.conflicts() == []
        assert any(r.op == "resolve" for r in s.journal(limit=3))  # a resolution is a journaled change


@pytest.mark.parametrize("choice", ["mine", "theirs", "edit"])
def test_a_resolution_is_one_journaled_change_and_undo_reopens_the_conflict(complete_db, tmp_path, choice):
    ours, theirs = pair(complete_db, tmp_path)
    s1, _ = services(ours)
    edit(ours, "Anne", (s1, "name", "Nom d'Anne"))
    edit(theirs, "Paul", (s1, "name", "Nom de Paul"))
    with Session.open(ours, MINI, author="Anne") as s:
        merge(s, theirs)
        (c,) = s.conflicts()
        resolve(s, c, choice, "Nom choisi ensemble" if choice == "edit" else None)
        expected = {"mine": "Nom d'Anne", "theirs": "Nom de Paul", "edit": "Nom choisi ensemble"}[choice]
        assert s.data.value(s1, "name") == expected and s.conflicts() == []
        s.undo()
        assert s.data.value(s1, "name") == "Nom d'Anne" and len(s.conflicts()) == 1


def test_a_merge_is_one_undoable_batch_and_merging_again_brings_everything_back(complete_db, tmp_path):
    ours, theirs = pair(complete_db, tmp_path)
    s1, s2 = services(ours)
    edit(ours, "Anne", (s2, "name", "Nom d'Anne"))
    edit(theirs, "Paul", (s1, "name", "Repris"), (s2, "name", "Nom de Paul"))
    with Session.open(ours, MINI, author="Anne") as s:
        digest = campaign_digest(s)
        first = merge(s, theirs)
        assert first.taken and first.conflicts == 1
        s.undo()
        assert campaign_digest(s) == digest and s.conflicts() == []  # the whole merge, conflicts too
        again = merge(s, theirs)  # what the undone merge brought is not "known" any more
        assert sorted(again.taken) == sorted(first.taken) and again.conflicts == 1


def test_items_created_on_either_side_are_added(complete_db, tmp_path):
    ours, theirs = pair(complete_db, tmp_path)
    with Session.open(ours, MINI, author="Anne") as s:
        mine = s.add_item("service", {"name": "Service d'Anne", "category": "COORD"})
    with Session.open(theirs, MINI, author="Paul") as s:
        other = s.add_item("service", {"name": "Service de Paul", "category": "INFRA"})
        s.set_level(other, "A-1", 3)
    with Session.open(ours, MINI, author="Anne") as s:
        merge(s, theirs)
        assert {mine, other} <= {i.id for i in s.data.live("service")}
        assert s.data.value(f"{other}/A-1", "level") == 3 and s.conflicts() == []


def test_deleted_on_one_side_and_changed_on_the_other_is_a_conflict_on_the_item(complete_db, tmp_path):
    ours, theirs = pair(complete_db, tmp_path)
    s1, s2 = services(ours)
    with Session.open(theirs, MINI, author="Paul") as s:
        s.delete_item(s1)
        s.set_answer(s2, "name", "Supprimé chez Anne, modifié chez Paul")
    with Session.open(ours, MINI, author="Anne") as s:
        s.set_answer(f"{s1}/A-1", "comment", "Anne y travaille")
        s.delete_item(s2)
    with Session.open(ours, MINI, author="Anne") as s:
        merge(s, theirs)
        places = {(c.scope, c.field): c for c in s.conflicts()}
        assert set(places) == {(s1, ITEM_FIELD), (s2, ITEM_FIELD)}
        assert places[(s1, ITEM_FIELD)].other.value["deleted"] is True  # theirs: deleted; ours: kept
        assert s.data.is_live(s1) and not s.data.is_live(s2)  # nothing decided yet
        resolve(s, places[(s2, ITEM_FIELD)], "theirs")  # bring Paul's service back, with his change
        assert s.data.is_live(s2) and s.data.value(s2, "name") == "Supprimé chez Anne, modifié chez Paul"


def test_deleted_on_both_sides_is_deleted(complete_db, tmp_path):
    ours, theirs = pair(complete_db, tmp_path)
    s1, _ = services(ours)
    for db, who in ((ours, "Anne"), (theirs, "Paul")):
        with Session.open(db, MINI, author=who) as s:
            s.delete_item(s1)
    with Session.open(ours, MINI, author="Anne") as s:
        merge(s, theirs)
        assert not s.data.is_live(s1) and s.conflicts() == []


def test_after_a_merges_b_and_resolves_b_merging_a_converges_with_no_new_conflict(complete_db, tmp_path):
    ours, theirs = pair(complete_db, tmp_path)
    s1, s2 = services(ours)
    edit(ours, "Anne", (s1, "name", "A"), (f"{s2}/B-1", "evidence", "Audit Anne"))
    edit(theirs, "Paul", (s1, "name", "P"), (s2, "name", "Nom de Paul"))
    with Session.open(ours, MINI, author="Anne") as s:
        merge(s, theirs)
        for c in s.conflicts():
            resolve(s, c, "theirs")
        digest_a = campaign_digest(s)
    with Session.open(theirs, MINI, author="Paul") as s:
        done = merge(s, ours)
        assert done.conflicts == 0 and s.conflicts() == []
        assert campaign_digest(s) == digest_a
        assert s.data.value(f"{s2}/B-1", "evidence") == "Audit Anne"
    with Session.open(ours, MINI, author="Anne") as s:  # and back: nothing moves any more
        done = merge(s, theirs)
        assert done.changed_nothing and campaign_digest(s) == digest_a
    with Session.open(theirs, MINI, author="Paul") as s:
        assert merge(s, ours).nothing_new


def test_an_open_conflict_travels_with_the_answers_and_closes_where_it_was_resolved(complete_db, tmp_path):
    """A conflict Paul has not resolved is not lost when Anne merges Paul; Paul's later resolution
    closes it at Anne's too."""
    anne, paul = pair(complete_db, tmp_path)
    marc = tmp_path / "marc.sqlite"
    copy_campaign(anne, marc)
    s1, _ = services(anne)
    edit(paul, "Paul", (s1, "name", "P"))
    edit(marc, "Marc", (s1, "name", "M"))
    with Session.open(paul, MINI, author="Paul") as s:
        merge(s, marc)
        assert len(s.conflicts()) == 1
    with Session.open(anne, MINI, author="Anne") as s:
        merge(s, paul)
        (c,) = s.conflicts()
        assert s.data.value(s1, "name") == "P" and c.other.value == "M"  # Marc's value still offered
    with Session.open(paul, MINI, author="Paul") as s:
        resolve(s, s.conflicts()[0], "theirs")
    with Session.open(anne, MINI, author="Anne") as s:
        done = merge(s, paul)
        assert done.closed == 1 and s.conflicts() == [] and s.data.value(s1, "name") == "M"


def test_a_merge_that_changes_answers_withdraws_the_sign_off_naming_the_merge(complete_db, tmp_path):
    ours, theirs = pair(complete_db, tmp_path)
    s1, _ = services(ours)
    with Session.open(ours, MINI, author="Anne") as s:
        sign_off(s, "Anne Lead", "responsable")
    edit(theirs, "Paul", (s1, "name", "Changé par Paul"))
    with Session.open(ours, MINI, author="Anne") as s:
        merge(s, theirs)
        state = signoff_state(s)
        assert state.withdrawn and "fusion de" in state.summary() and "paul.sqlite" in state.summary()


def test_prefer_mine_resolves_every_conflict_in_the_merge_batch(complete_db, tmp_path, cli):
    ours, theirs = pair(complete_db, tmp_path)
    s1, s2 = services(ours)
    edit(ours, "Anne", (s1, "name", "A1"), (s2, "name", "A2"))
    edit(theirs, "Paul", (s1, "name", "P1"), (s2, "name", "P2"))
    code, out, _ = cli("merge", "--referentiel", MINI, "--db", ours, theirs, "--prefer", "mine")
    assert code == 0 and "2 conflits résolus d'office" in out
    assert (value(ours, s1, "name"), value(ours, s2, "name")) == ("A1", "A2")
    with Session.open(ours, MINI, author="Anne") as s:
        assert s.conflicts() == []
        s.undo()  # the merge and its resolutions: one step
        assert s.conflicts() == [] and s.data.value(s1, "name") == "A1"
        assert merge(s, theirs).conflicts == 2


def test_resolve_all_is_one_batch(complete_db, tmp_path):
    ours, theirs = pair(complete_db, tmp_path)
    s1, s2 = services(ours)
    edit(ours, "Anne", (s1, "name", "A1"), (s2, "name", "A2"))
    edit(theirs, "Paul", (s1, "name", "P1"), (s2, "name", "P2"))
    with Session.open(ours, MINI, author="Anne") as s:
        merge(s, theirs)
        assert resolve_all(s, "theirs") == 2 and s.conflicts() == []
        s.undo()
        assert len(s.conflicts()) == 2 and s.data.value(s1, "name") == "A1"


def test_another_campaign_a_damaged_file_or_a_newer_schema_exit_2_and_nothing_is_written(
        complete_db, tmp_path, cli):
    ours, theirs = pair(complete_db, tmp_path)
    other = tmp_path / "autre.sqlite"
    with Session.create(other, MINI, author="X", answers={"region": "53"}):
        pass
    damaged = tmp_path / "abime.sqlite"
    damaged.write_bytes(theirs.read_bytes()[:8192] + b"\x00" * 4096 + theirs.read_bytes()[12288:])
    newer = tmp_path / "recent.sqlite"
    shutil.copy(theirs, newer)
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = fingerprint(ours)
    for path, words in ((other, "autre campagne"), (damaged, "endommagé"), (newer, "plus récente"),
                        (tmp_path / "absent.sqlite", "introuvable"), (ours, "campagne ouverte")):
        code, _, err = cli("merge", "--referentiel", MINI, "--db", ours, path)
        assert code == 2 and words in err and "Traceback" not in err, (path, err)
    assert fingerprint(ours)[0] == before[0]


def test_a_file_that_cannot_be_a_copy_is_said_in_the_words_of_a_merge(complete_db, tmp_path, cli):
    """A typo, a folder, an empty or foreign file given to merge: not « lancez convergence pour le créer »,
    « --db » or « ancien format, ouvrez-la en écriture » (the words of opening a campaign), but what to fix."""
    ours, _theirs = pair(complete_db, tmp_path)
    empty = tmp_path / "vide.sqlite"
    empty.touch()
    plain = tmp_path / "autre-base.sqlite"
    conn = sqlite3.connect(plain)
    conn.execute("create table t (x)")
    conn.commit()
    conn.close()
    text = tmp_path / "notes.txt"
    text.write_text("pas une campagne")
    before = fingerprint(ours)
    for path, words in ((tmp_path / "paul.sqlit", "fichier introuvable ; vérifiez le chemin"),
                        (tmp_path, "c'est un dossier"), (empty, "n'est pas une campagne"),
                        (plain, "n'est pas une campagne"), (text, "n'est pas une campagne")):
        code, _, err = cli("merge", "--referentiel", MINI, "--db", ours, path)
        assert code == 2 and words in err and "convergence copy" in err, (path, err)
        assert "--db" not in err and "pour le créer" not in err and "ancien format" not in err, err
        assert "Traceback" not in err
    assert fingerprint(ours)[0] == before[0] and empty.stat().st_size == 0


def test_a_copy_named_from_the_home_folder_is_found(complete_db, tmp_path, monkeypatch):
    """« ~/… » typed in the TUI's prompt: no shell expands it, the merge does."""
    ours, theirs = pair(complete_db, tmp_path)
    edit(theirs, "Paul", (services(theirs)[0], "name", "Annuaire (Paul)"))
    monkeypatch.setenv("HOME", str(tmp_path))
    with Session.open(ours, MINI, author="Anne") as s:
        assert merge(s, "~/paul.sqlite").taken
    assert value(ours, services(ours)[0], "name") == "Annuaire (Paul)"


def test_merge_needs_a_file_or_prefer(complete_db, cli):
    code, _, err = cli("merge", "--referentiel", MINI, "--db", complete_db)
    assert code == 2 and "FICHIER" in err
    code, out, _ = cli("merge", "--referentiel", MINI, "--db", complete_db, "--prefer", "mine")
    assert code == 0 and "Aucun conflit" in out


def test_a_merge_into_a_read_only_campaign_is_refused(complete_db, tmp_path):
    ours, theirs = pair(complete_db, tmp_path)
    with Session.open(ours, MINI, readonly=True) as s, pytest.raises(UserError, match="lecture seule"):
        merge(s, theirs)


def children_alive(db: Path, sid: str) -> tuple[int, int]:
    """(live items that belong to the service, gaps of it that blockers and actions cover)."""
    with Session.open(db, readonly=True) as s:
        items = sum(1 for i in s.data.items.values() if not i.deleted and s.data.value(i.id, "service") == sid)
        covered = sum(1 for i in s.data.items.values() if not i.deleted
                      for pair in (s.data.value(i.id, "covers") or []) if pair[0] == sid)
    return items, covered


@pytest.mark.parametrize("choice", ["mine", "theirs"])
def test_keeping_a_service_deleted_elsewhere_keeps_what_went_with_it(demo_db, tmp_path, choice):
    """Paul deletes a service (its indicators, finances, blockers, actions and covered gaps go with it);
    Anne rated it meanwhile. Keeping it keeps all of that; taking the deletion takes all of it."""
    anne, paul = tmp_path / "anne.sqlite", tmp_path / "paul.sqlite"
    shutil.copy(demo_db, anne)
    copy_campaign(anne, paul)
    with Session.open(anne, readonly=True) as s:
        sid = s.data.live_ids("service")[1]
    before = children_alive(anne, sid)
    assert before[0] > 0 and before[1] > 0
    with Session.open(paul, author="Paul") as s:
        s.delete_item(sid)
    with Session.open(anne, author="Anne") as s:
        s.set_answer(f"{sid}/URB-01", "comment", "Anne y travaille")
    with Session.open(anne, author="Anne") as s:
        merge(s, paul)
        (c,) = s.conflicts()
        assert c.field == ITEM_FIELD and c.other_author == "Paul" and len(c.also) > before[0]
        assert children_alive(anne, sid) == before  # nothing of the deletion taken before the choice
        resolve(s, c, choice)
    assert children_alive(anne, sid) == (before if choice == "mine" else (0, 0))
    with Session.open(paul, author="Paul") as s:  # and Paul, merging Anne's decision, gets the same
        assert merge(s, anne).conflicts == 0
    assert children_alive(paul, sid) == children_alive(anne, sid)


@pytest.mark.parametrize("choice", ["mine", "theirs"])
def test_restoring_a_service_deleted_here_brings_back_what_went_with_it(demo_db, tmp_path, choice):
    anne, paul = tmp_path / "anne.sqlite", tmp_path / "paul.sqlite"
    shutil.copy(demo_db, anne)
    copy_campaign(anne, paul)
    with Session.open(anne, readonly=True) as s:
        sid = s.data.live_ids("service")[1]
    before = children_alive(anne, sid)
    with Session.open(anne, author="Anne") as s:
        s.delete_item(sid)
    with Session.open(paul, author="Paul") as s:
        s.set_answer(f"{sid}/URB-01", "comment", "Paul y travaille")
    with Session.open(anne, author="Anne") as s:
        merge(s, paul)
        (c,) = s.conflicts()
        assert c.other_author == "Paul" and c.other.value["deleted"] is False
        resolve(s, c, choice)
        assert s.data.is_live(sid) is (choice == "theirs")
    assert children_alive(anne, sid) == (before if choice == "theirs" else (0, 0))
    with Session.open(paul, author="Paul") as s:
        assert merge(s, anne).conflicts == 0
    assert children_alive(paul, sid) == children_alive(anne, sid)
