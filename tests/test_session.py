"""Use cases on a real campaign file: save, flag, undo, delete, import."""

from __future__ import annotations

import sqlite3

import pytest

from convergence_tui.campaign.data import CAMPAIGN
from convergence_tui.errors import UserError
from convergence_tui.usecases.session import Session
from tests.conftest import MINI


@pytest.fixture
def session(tmp_path):
    s = Session.create(tmp_path / "c.sqlite", MINI, author="Camille",
                       answers={"region": "76", "campaign_label": "2022-S1", "reference_date": "2022-06-30"})
    yield s
    s.close()


def journal_count(path) -> int:
    return sqlite3.connect(path).execute("select count(*) from journal").fetchone()[0]


def test_campaign_pins_referential(session, mini_ref):
    meta = session.meta()
    assert meta["referentiel_id"] == "mini"
    assert meta["referentiel_version"] == "1"
    assert meta["referentiel_sha256"] == mini_ref.sha256


def test_invalid_input_kept_as_typed_and_flagged(session):
    result = session.set_answer(CAMPAIGN, "reference_date", "31/02/2022")
    assert result.error and "n'est pas une date valide" in result.error
    row = sqlite3.connect(session.path).execute(
        "select value, raw, error from answers where field = 'reference_date'").fetchone()
    assert row[0] is None and row[1] == "31/02/2022" and "date valide" in row[2]
    assert any(p.kind == "invalid" and p.field == "reference_date" for p in session.problems())


def test_unchanged_value_writes_nothing(session):
    before = journal_count(session.path)
    result = session.set_answer(CAMPAIGN, "region", "76")
    assert not result.changed
    assert journal_count(session.path) == before


def test_levels_rescore_one_service_and_undo(session):
    sid = session.add_item("service", {"name": "Outil", "category": "COORD"})
    result = session.set_level(sid, "A-1", 2)
    assert result.rescored == (sid,)
    assert session.scores.service(sid).sums["URB"] == (2, 2)
    session.set_level(sid, "A-1", 4)
    assert session.scores.service(sid).sums["URB"] == (4, 2)
    undone = session.undo()
    assert [r.field for r in undone] == ["level"]
    assert session.data.value(f"{sid}/A-1", "level") == 2
    assert session.scores.service(sid).sums["URB"] == (2, 2)
    # The undo is in the journal too: nothing is ever rewritten.
    ops = [r.op for r in session.journal()]
    assert ops[0] == "undo"


def test_level_rules(session):
    sid = session.add_item("service", {"name": "Outil", "category": "COORD"})
    assert "non permis" in session.set_level(sid, "B-1", 2).error  # B-1 allows 0 or 4 only
    assert session.set_level(sid, "B-1", "x").cell.value == "NA"
    assert "NA n'est pas permis" in session.set_level(sid, "A-1", "NA").error
    flags = {(p.kind, p.scope) for p in session.problems()}
    assert ("justification", f"{sid}/B-1") in flags
    assert ("invalid", f"{sid}/A-1") in flags
    session.set_answer(f"{sid}/B-1", "justification", "Pas de flux concerné")
    assert ("justification", f"{sid}/B-1") not in {(p.kind, p.scope) for p in session.problems()}


def test_evidence_flagged_from_level(session):
    sid = session.add_item("service", {"name": "Outil", "category": "COORD"})
    session.set_level(sid, "A-2", 3)  # evidence_from = 3
    assert ("evidence", f"{sid}/A-2") in {(p.kind, p.scope) for p in session.problems()}


def test_hidden_required_question_not_flagged(session):
    assert "legal_form_other" not in {p.field for p in session.problems()}
    session.set_answer(CAMPAIGN, "legal_form", "autre")
    assert "legal_form_other" in {p.field for p in session.problems() if p.kind == "missing"}


def test_blocker_from_gap_prefilled_and_plan_completeness(session):
    session.set_answer(CAMPAIGN, "reference_date", "2023-01-15")
    sid = session.add_item("service", {"name": "S", "category": "COORD"})
    for cid, level in (("A-1", 2), ("A-2", 1), ("B-1", 4)):
        session.set_level(sid, cid, level)
    plan = [p for p in session.problems() if p.is_plan]
    assert {(p.kind, p.scope) for p in plan} == {
        ("no_blocker", f"{sid}/A-1"), ("no_action", f"{sid}/A-1"),
        ("no_blocker", f"{sid}/A-2"), ("no_action", f"{sid}/A-2"),
    }
    bid = session.add_item("blocker", {"service": sid, "criterion": "A-1", "category": "vendor"})
    assert session.data.item_values(bid)["criterion"] == "A-1"
    session.add_item("action", {"service": sid, "criterion": "A-1", "target_level": 3, "due": "2023-06-30"})
    kinds = {(p.kind, p.scope) for p in session.problems() if p.is_plan}
    assert ("no_blocker", f"{sid}/A-1") not in kinds
    assert ("no_action", f"{sid}/A-1") in kinds  # 3 does not reach the due level 4
    aid = session.add_item("action", {"service": sid, "criterion": "A-1", "target_level": 4, "due": "2023-06-30"})
    assert ("no_action", f"{sid}/A-1") not in {(p.kind, p.scope) for p in session.problems()}
    assert session.scores.service(sid).target_reached_on is None  # A-2 never reaches 3
    session.add_item("action", {"service": sid, "criterion": "A-2", "target_level": 3, "due": "2023-09-30"})
    assert session.scores.service(sid).target_reached_on.isoformat() == "2023-09-30"
    session.set_answer(aid, "status", "abandoned")
    assert ("no_action", f"{sid}/A-1") in {(p.kind, p.scope) for p in session.problems()}


def test_action_level_checked_against_criterion(session):
    sid = session.add_item("service", {"name": "S", "category": "COORD"})
    aid = session.add_item("action", {"service": sid, "criterion": "B-1"})
    assert "impossible pour B-1" in session.set_answer(aid, "target_level", "2").error


def test_delete_service_cascades_and_undo_restores(session):
    sid = session.add_item("service", {"name": "S", "category": "COORD"})
    bid = session.add_item("blocker", {"service": sid, "criterion": "A-1"})
    other = session.add_item("service", {"name": "T", "category": "INFRA"})
    deleted = session.delete_item(sid)
    assert set(deleted) == {sid, bid}
    assert [s.id for s in session.scores.services] == [other]
    assert session.journal(limit=2)[0].op == "delete"
    session.undo()
    assert [s.id for s in session.scores.services] == [sid, other]
    assert session.data.is_live(bid)
    # Stable ids: a new service never reuses an id, even of a deleted one.
    session.delete_item(other)
    assert session.add_item("service", {"name": "U"}) not in (sid, other, bid)


def test_reopen_finds_everything(session, tmp_path):
    sid = session.add_item("service", {"name": "S", "category": "COORD"})
    session.set_level(sid, "A-1", 3)
    session.set_answer(sid, "name", "")
    doc = session.scores_document()
    session.close()
    with Session.open(tmp_path / "c.sqlite", MINI) as again:
        assert again.scores_document() == doc
        assert again.author == "Camille"


def test_readonly_session_refuses_changes(session, tmp_path):
    session.close()
    with Session.open(tmp_path / "c.sqlite", MINI, readonly=True) as ro, pytest.raises(UserError):
        ro.set_answer(CAMPAIGN, "region", "53")


def test_incremental_equals_full_after_many_changes(demo_db, ref):
    with Session.open(demo_db, ref) as s:
        ids = s.data.live_ids("service")
        changes = [(ids[0], "URB-01", 0), (ids[3], "IOP-01", "NA"), (ids[5], "SEC-02", 4), (ids[7], "ETH-01", 1)]
        for sid, cid, level in changes:
            s.set_level(sid, cid, level)
        first_action = s.data.live_ids("action")[0]
        s.set_answer(first_action, "status", "abandoned")
        s.set_answer(ids[2], "category", "PORTAIL")
        incremental = s.scores_document()
        s._rescore_all()
        assert s.scores_document() == incremental


# --- lazy opening (what the TUI does): the form first, the rest read by a thread -------------------


def _scores_doc(session):
    doc = session.scores_document()
    doc.pop("generated_at", None)
    return doc


def test_lazy_open_reads_the_campaign_answers_first_then_the_same_campaign(demo_db):
    with Session.open(demo_db, readonly=True) as full:
        expected_cells, expected_scores = dict(full.data.cells), _scores_doc(full)
    with Session.open(demo_db, lazy=True) as s:
        assert s.stage == "first" and not s.scored and not s._store.checked
        assert s.data.value(CAMPAIGN, "region") == full.data.value(CAMPAIGN, "region")
        assert {scope for scope, _ in s.data.cells} == {CAMPAIGN}  # no item, no level read yet
        assert s.data.live_ids("service") == []
        assert _scores_doc(s) == expected_scores  # asking for scores waits for them
        assert s.data.live_ids("service") == full.data.live_ids("service")
        assert s.stage == "essential" and s._store.checked
        s.ensure_complete()
        assert s.data.cells == expected_cells


def test_lazy_background_read_notifies_each_part(demo_db):
    stages = []
    with Session.open(demo_db, lazy=True) as s:
        s.load_in_background(stages.append)
        assert s._loading.complete_ready.wait(30)
        assert stages == ["essential", "complete"] and s.stage == "first"  # installed by the main thread
        s.ensure_complete()
        assert s.complete and s.scored


def test_save_before_the_background_read_waits_for_it(demo_db):
    with Session.open(demo_db, lazy=True) as s:
        s.load_in_background()
        result = s.set_answer(CAMPAIGN, "campaign_label", "2023-S2")
        assert result.changed and s.complete
        assert s.scores.region is not None
    with Session.open(demo_db) as again:
        assert again.data.value(CAMPAIGN, "campaign_label") == "2023-S2"


def _damage_a_page_nobody_reads_at_opening(db) -> None:
    """Corrupt a table the first screen does not read: only the integrity check can find it."""
    conn = sqlite3.connect(db)
    conn.execute("create table filler(x)")
    conn.executemany("insert into filler values(?)", [(b"x" * 3000,) for _ in range(20)])
    conn.commit()
    root = conn.execute("select rootpage from sqlite_master where name = 'filler'").fetchone()[0]
    page = conn.execute("pragma page_size").fetchone()[0]
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    with open(db, "r+b") as f:
        f.seek((root - 1) * page)
        f.write(b"\xff" * page)


def test_damage_found_after_a_lazy_opening_blocks_every_write(demo_db):
    _damage_a_page_nobody_reads_at_opening(demo_db)
    before = demo_db.read_bytes()
    with Session.open(demo_db, lazy=True) as s:  # the first screen opens…
        assert s.stage == "first"
        s.ensure_essential()  # …the background check finds the damage
        assert s.readonly and "endommagé" in s.damage and "convergence restore" in s.damage
        with pytest.raises(UserError, match="lecture seule"):
            s.set_answer(CAMPAIGN, "campaign_label", "perdu ?")
    assert demo_db.read_bytes() == before
    with pytest.raises(UserError, match="endommagé"):  # a normal opening refuses it outright
        Session.open(demo_db)


def test_store_never_writes_into_an_unchecked_damaged_file(demo_db):
    from convergence_tui.store import Cell, Change, Store

    _damage_a_page_nobody_reads_at_opening(demo_db)
    before = demo_db.read_bytes()
    store = Store.open(demo_db, check=False)
    try:
        assert not store.checked
        with pytest.raises(UserError, match="endommagé"):
            store.apply([Change(CAMPAIGN, "campaign_label", None, Cell("x", "x"))], "Camille")
    finally:
        store.close()
    assert demo_db.read_bytes() == before


def test_revisions_count_changes_by_area(session):
    sid = session.add_item("service", {"name": "Outil", "category": "COORD"})
    session.add_item("blocker", {"service": sid})
    before = {a: session.revision_of({a}) for a in ("campaign", "levels", "service", "blocker", "action")}
    session.set_level(sid, "A-1", 2)
    after = {a: session.revision_of({a}) for a in before}
    assert [a for a in before if before[a] != after[a]] == ["levels"]
    session.set_answer(CAMPAIGN, "campaign_label", "2022-S2")
    session.delete_item(sid)  # the service and its blocker
    moved = {a for a in before if session.revision_of({a}) != after[a]}
    assert moved == {"campaign", "service", "blocker"}


def test_unreadable_past_the_first_screen_stays_shown_and_read_only(demo_db, monkeypatch):
    import convergence_tui.usecases.loading as session_module

    real = session_module.read_answers

    def failing(conn, part="all"):
        if part == "essential":
            raise sqlite3.DatabaseError("database disk image is malformed")
        return real(conn, part)

    monkeypatch.setattr(session_module, "read_answers", failing)
    before = demo_db.read_bytes()
    with Session.open(demo_db, lazy=True) as s:
        label = s.data.value(CAMPAIGN, "campaign_label")
        s.ensure_complete()  # no exception: what could be read stays, the damage is said
        assert s.readonly and "endommagé" in s.damage and "convergence restore" in s.damage
        assert s.data.value(CAMPAIGN, "campaign_label") == label and s.scores is not None
        with pytest.raises(UserError, match="lecture seule"):
            s.set_answer(CAMPAIGN, "campaign_label", "perdu ?")
    assert demo_db.read_bytes() == before
