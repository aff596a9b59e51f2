"""Nothing lost, nothing damaged: kills, two instances, damaged files, backups, full disk, secrets."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convergence_tui.campaign.data import CAMPAIGN
from convergence_tui.errors import CampaignLocked, UserError
from convergence_tui.store import SCHEMA_VERSION
from convergence_tui.usecases.session import ReferentielChanged, Session
from tests.conftest import MINI, ROOT

KILLS = 50


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_no_returned_save(demo_db):
    rng = random.Random(20261122)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    survived = 0
    for run in range(KILLS):
        child = subprocess.Popen([sys.executable, str(ROOT / "tests" / "crash_child.py"), str(demo_db), str(run)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        # Kill after a random number of returned saves, often in the middle of the next one.
        reported: dict[str, str] = {}
        target = rng.randrange(0, 40)
        while len(reported) < target:
            line = child.stdout.readline().split()
            if not line or line[0] != "saved":
                break
            reported[line[1]] = line[2]
        if rng.random() < 0.5:
            time.sleep(rng.random() * 0.01)
        child.send_signal(signal.SIGKILL)
        child.wait()
        for line in child.stdout.read().splitlines():  # saves that returned before the kill landed
            parts = line.split()
            if parts and parts[0] == "saved":
                reported[parts[1]] = parts[2]
        conn = sqlite3.connect(demo_db)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            for scope, value in reported.items():
                row = conn.execute("select value from answers where scope = ? and field = 'comment'",
                                   [scope]).fetchone()
                assert row is not None and row[0] == value, (run, scope, value, row)
                assert conn.execute("select count(*) from journal where scope = ? and field = 'comment' and "
                                    "new like ?", [scope, f'%"{value}"%']).fetchone()[0] == 1
        finally:
            conn.close()
        survived += 1
    assert survived == KILLS
    with Session.open(demo_db) as s:  # and the campaign still opens, lock released by the kernel
        assert s._store.integrity_ok()


def test_second_instance_is_refused_or_read_only(demo_db):
    first = Session.open(demo_db)
    try:
        with pytest.raises(CampaignLocked, match="déjà ouvert en écriture"):
            Session.open(demo_db)
        second = Session.open(demo_db, fallback_readonly=True)
        try:
            assert second.readonly and second.locked_elsewhere
            with pytest.raises(UserError, match="lecture seule"):
                second.set_answer(CAMPAIGN, "team", "B")
        finally:
            second.close()
    finally:
        first.close()
    with Session.open(demo_db) as again:  # released when the first one closes
        assert not again.readonly


def test_lock_released_by_a_crash(demo_db):
    code = ("import sys, time; from convergence_tui.usecases.session import Session; s = Session.open(sys.argv[1]); "
            "print('open', flush=True); time.sleep(60)")
    child = subprocess.Popen([sys.executable, "-c", code, str(demo_db)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "open"
    with pytest.raises(CampaignLocked):
        Session.open(demo_db)
    child.send_signal(signal.SIGKILL)
    child.wait()
    with Session.open(demo_db) as s:
        assert not s.readonly


async def test_tui_banner_when_opened_elsewhere(demo_db):
    holder = Session.open(demo_db)
    try:
        from convergence_tui.app import ConvergenceApp
        from convergence_tui.referentiel import load

        ref = load()
        session = Session.open(demo_db, ref, fallback_readonly=True)
        app = ConvergenceApp(demo_db, ref, session)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.3)
            assert "LECTURE SEULE (ouvert ailleurs)" in str(app.screen.query_one("#topbar").render())
            assert any("LECTURE SEULE" in n.message for n in app._notifications)
        session.close()
    finally:
        holder.close()


def test_truncated_file_reported_and_left_untouched(demo_db, cli):
    with Session.open(demo_db):
        pass
    data = demo_db.read_bytes()
    demo_db.write_bytes(data[: len(data) // 2])
    before = digest(demo_db)
    code, _, err = cli("status", "--db", demo_db)
    assert code == 2 and "endommagé" in err and "Traceback" not in err
    with pytest.raises(UserError, match="endommagé"):
        Session.open(demo_db)
    assert digest(demo_db) == before
    assert not Path(f"{demo_db}-wal").exists() and not Path(f"{demo_db}-shm").exists()


def test_random_bytes_file(tmp_path, cli):
    db = tmp_path / "hasard.sqlite"
    db.write_bytes(random.Random(1).randbytes(50_000))
    before = digest(db)
    code, _, err = cli("status", "--db", db)
    assert code == 2 and "pas une base SQLite" in err
    code, _, err = cli("--db", db, "signoff", "--name", "A", "--role", "B")
    assert code == 2 and digest(db) == before


def test_newer_schema_refused_untouched(demo_db, cli):
    conn = sqlite3.connect(demo_db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = digest(demo_db)
    code, _, err = cli("status", "--db", demo_db)
    assert code == 2 and "version plus récente" in err
    with pytest.raises(UserError, match="version plus récente"):
        Session.open(demo_db)
    assert digest(demo_db) == before


def test_new_questionnaire_version_migrates_keeping_every_answer(tmp_path, cli):
    db = tmp_path / "mini.sqlite"
    with Session.create(db, MINI, author="Yann", answers={
            "region": "53", "campaign_label": "2023-S1", "reference_date": "2023-01-15"}) as s:
        sid = s.add_item("service", {"name": "S", "category": "COORD"})
        for cid, level in (("A-1", 2), ("A-2", 1), ("B-1", 4), ("B-2", 3)):
            s.set_level(sid, cid, level)
        s.set_answer(f"{sid}/B-2", "comment", "à garder")
        s.set_answer(CAMPAIGN, "legal_form", "GIP")
    rows_before = sqlite3.connect(db).execute("select scope, field, value from answers order by 1, 2").fetchall()
    # Version 2 drops criterion B-2 and the question legal_form.
    text = MINI.read_text(encoding="utf-8").replace('version = "1"', 'version = "2"')
    start = text.index('[[criteria]]\nid = "B-2"')
    text = text[:start] + text[text.index("[[sections]]", start):]
    start = text.index('  [[sections.questions]]\n  id = "legal_form"')  # and legal_form_other, which needs it
    text = text[:start] + text[text.index("[[sections]]", start):]
    v2 = tmp_path / "mini-v2.toml"
    v2.write_text(text, encoding="utf-8")
    before = digest(db)
    with pytest.raises(ReferentielChanged, match="convergence migrate"):
        Session.open(db, v2)
    assert digest(db) == before
    code, out, err = cli("migrate", "--db", db, "--referentiel", v2)
    assert code == 0, err
    assert "suit maintenant le questionnaire 2" in out and "orpheline" not in err
    assert sqlite3.connect(db).execute("select scope, field, value from answers order by 1, 2").fetchall() \
        == rows_before  # not one answer dropped
    code, out, _ = cli("status", "--db", db, "--referentiel", v2)
    assert "Réponses orphelines" in out
    assert f"{sid}/B-2 — comment = 'à garder' : critère absent du questionnaire actuel" in out
    assert "campaign — legal_form = 'GIP' : question absente du questionnaire actuel" in out
    with Session.open(db, v2) as s:
        assert s.meta()["referentiel_version"] == "2"
        assert s.journal(limit=1)[0].op == "migrate"
        undone = s.undo()  # undo skips the migration: it reverts the last answer change
        assert [r.field for r in undone] == ["legal_form"]
        assert s.meta()["referentiel_version"] == "2"


def test_backups_rotated_and_restored(demo_db, cli):
    for _ in range(7):
        with Session.open(demo_db) as s:
            s.backup()
    from convergence_tui.store.backups import list_backups

    backups = list_backups(demo_db)
    assert len(backups) == 5
    code, out, _ = cli("restore", "--db", demo_db)
    assert code == 0 and out.count(" services") == 5
    with Session.open(demo_db) as s:
        s.set_answer(CAMPAIGN, "team", "changé après la sauvegarde")
    code, out, err = cli("restore", "--db", demo_db, "1")
    assert code == 0, err
    with Session.open(demo_db) as s:
        assert s.data.value(CAMPAIGN, "team") != "changé après la sauvegarde"
        assert s._store.integrity_ok()
    # The replaced file was kept: nothing is lost by restoring either.
    kept = list_backups(demo_db)[0]
    conn = sqlite3.connect(f"{kept.path.as_uri()}?mode=ro", uri=True)
    assert conn.execute("select value from answers where field = 'team'").fetchone()[0] == "changé après la sauvegarde"


def test_restore_refused_while_open(demo_db, cli):
    with Session.open(demo_db) as s:
        s.backup()
        code, _, err = cli("restore", "--db", demo_db, "1")
    assert code == 2 and "ouvert par un autre programme" in err


def test_bundle_holds_no_local_path_or_user_name(tmp_path, demo_db, monkeypatch, cli):
    import getpass
    import zipfile

    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", "secret-tres-long")
    assert cli("keygen", "--out", tmp_path / "k.p12", "--name", "Camille Le Goff")[0] == 0
    assert cli("export", "--db", demo_db, "--p12", tmp_path / "k.p12", "--draft", "--out", tmp_path / "out")[0] == 0
    (bundle,) = (tmp_path / "out").glob("*.zip")
    forbidden = [str(tmp_path), str(Path.home()), str(ROOT), "secret-tres-long"]
    user = getpass.getuser()
    with zipfile.ZipFile(bundle) as zf:
        for name in zf.namelist():
            text = zf.read(name).decode("utf-8", errors="replace")
            for item in forbidden:
                assert item not in text, (name, item)
            if user not in ("Camille", "Le", "Goff", "root"):
                assert user not in text, (name, user)
    assert b"secret-tres-long" not in demo_db.read_bytes()
    journal = sqlite3.connect(demo_db).execute("select group_concat(old || new) from journal").fetchone()[0] or ""
    assert "secret-tres-long" not in journal
