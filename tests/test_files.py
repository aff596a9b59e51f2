"""The files the tool leaves on disk: private to their owner, whole or absent, and read without
writing where only reading is needed (a read-only folder, a full disk — real ones, on tmpfs)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convergence_tui.app import ConvergenceApp
from convergence_tui.usecases.session import Session
from tests.obstacles import lock_held_by_another_process, small_disk

PASSWORD = "motdepasse-pilote"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def p12(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("id") / "pilote.p12"
    subprocess.run([sys.executable, "-m", "convergence_tui", "keygen", "--out", str(path), "--name", "Camille"],
                   env={**os.environ, "CONVERGENCE_P12_PASSWORD": PASSWORD}, check=True, capture_output=True)
    return path


# --- point 12: personal data readable by its owner only ----------------------------------


def test_campaign_files_and_backups_are_private(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "umask", os.umask)  # keep the process umask as the test found it
    old = os.umask(0o022)
    try:
        db = tmp_path / "demo.sqlite"
        assert cli("demo", "--db", db)[0] == 0
        assert mode(db) == 0o600
        with Session.open(db) as s:
            s.set_answer("campaign", "delegate_email", "camille.legoff@esante-bretagne.fr")
            backup = s.backup()
            for side in ("-wal", "-shm"):
                assert mode(Path(f"{db}{side}")) == 0o600
        assert mode(backup) == 0o600
        assert cli("restore", "--db", db, "1")[0] == 0
        assert mode(db) == 0o600
        assert all(mode(b) == 0o600 for b in backup.parent.iterdir())
        wizard = tmp_path / "nouvelle.sqlite"
        Session.create(wizard, author="Camille").close()
        assert mode(wizard) == 0o600
    finally:
        os.umask(old)


# --- point 10: a read-only folder is read, never written ---------------------------------


@pytest.fixture
def read_only_campaign(tmp_path, cli, p12):
    """A demo campaign and a bundle of it in a folder mounted read-only (root cannot write it either)."""
    folder = tmp_path / "ro"
    with small_disk(folder, "32m") as disk:
        db = folder / "demo.sqlite"
        assert cli("demo", "--db", db)[0] == 0
        os.environ["CONVERGENCE_P12_PASSWORD"] = PASSWORD
        try:
            assert cli("export", "--db", db, "--p12", p12, "--draft", "--out", folder / "exports")[0] == 0
        finally:
            del os.environ["CONVERGENCE_P12_PASSWORD"]
        disk.read_only()
        before = sorted(p.name for p in folder.rglob("*"))
        yield db
        assert sorted(p.name for p in folder.rglob("*")) == before


def test_status_verify_and_export_elsewhere_in_a_read_only_folder(cli, read_only_campaign, tmp_path, p12,
                                                                  monkeypatch):
    db = read_only_campaign
    code, out, err = cli("status", "--db", db)
    assert code == 0 and "Bretagne" in out, err
    (bundle,) = (db.parent / "exports").glob("*.zip")
    code, out, err = cli("verify", bundle)
    assert code == 0, err
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    code, out, err = cli("export", "--db", db, "--p12", p12, "--draft", "--out", tmp_path / "ailleurs")
    assert code == 0, err
    assert len(list((tmp_path / "ailleurs").glob("*.zip"))) == 1


def test_writing_in_a_read_only_folder_is_a_sentence(cli, read_only_campaign):
    code, _, err = cli("signoff", "--db", read_only_campaign, "--name", "Camille", "--role", "Responsable")
    assert code == 2 and "Traceback" not in err and "lecture" in err


async def test_review_opens_in_a_read_only_folder(read_only_campaign, ref):
    from convergence_tui.screens.review import ReviewScreen

    session = Session.open(read_only_campaign, ref, readonly=True, lazy=True)
    app = ConvergenceApp(read_only_campaign, ref, session, review=True)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(50):
                await pilot.pause(0.05)
                if isinstance(app.screen, ReviewScreen):
                    break
            assert isinstance(app.screen, ReviewScreen)
            assert session.damage is None and session.readonly
    finally:
        session.close()


# --- point 11: no leftovers ------------------------------------------------------------


@pytest.mark.parametrize("size", ["400k", "800k", "1200k"])
def test_demo_on_a_full_disk_leaves_nothing_and_works_once_freed(cli, tmp_path, size):
    """Too small to write anything, or enough for the pages but not for folding the log into the file
    (the campaign must not be renamed into place without its content)."""
    folder = tmp_path / "petit"
    with small_disk(folder, size):
        db = folder / "demo.sqlite"
        code, out, err = cli("demo", "--db", db)
        assert code == 2 and "Traceback" not in err and str(db) in err and "disque plein" in err, out + err
        assert ".nouveau" not in err
        assert list(folder.iterdir()) == []
    with small_disk(folder, "16m"):
        assert cli("demo", "--db", db)[0] == 0
        assert sorted(p.name for p in folder.iterdir()) == ["demo.sqlite"]
        assert cli("status", "--db", db)[0] == 0


def test_import_into_a_new_file_on_a_full_disk_leaves_nothing(cli, tmp_path, demo_db):
    with Session.open(demo_db) as s:
        doc = s.answers_document()
    source = tmp_path / "reponses.json"
    source.write_text(__import__("json").dumps(doc), encoding="utf-8")
    with small_disk(tmp_path / "petit", "1000k") as disk:
        db = disk.folder / "c.sqlite"
        code, out, err = cli("import", source, "--db", db)
        assert code == 2 and "disque plein" in err and "Importé" not in out, out + err
        assert list(disk.folder.iterdir()) == []


def test_a_killed_demo_leaves_a_temporary_file_the_next_one_removes(tmp_path):
    db = tmp_path / "demo.sqlite"
    child = subprocess.Popen([sys.executable, "-m", "convergence_tui", "demo", "--db", str(db), "--services", "400"])
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".demo.sqlite.*.nouveau")) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    child.kill()
    child.wait()
    assert not db.exists() and list(tmp_path.glob(".demo.sqlite.*"))
    done = subprocess.run([sys.executable, "-m", "convergence_tui", "demo", "--db", str(db)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.sqlite"]


def test_stale_partial_bundle_removed_by_the_next_export(cli, demo_db, tmp_path, p12, monkeypatch):
    out = tmp_path / "exports"
    out.mkdir()
    stale, fresh = out / ".53-2026-S2-xyz.zip.partiel", out / ".53-2026-S2-abc.zip.partiel"
    for f in (stale, fresh):
        f.write_bytes(b"PK")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    assert cli("export", "--db", demo_db, "--p12", p12, "--draft", "--out", out)[0] == 0
    assert not stale.exists() and fresh.exists()  # a fresh one may be another export's, being written


def test_a_full_disk_when_opening_is_said_as_such(cli, tmp_path):
    with small_disk(tmp_path / "plein", "8m") as disk:
        db = disk.folder / "demo.sqlite"
        assert cli("demo", "--db", db)[0] == 0
        disk.fill()
        code, _, err = cli("signoff", "--db", db, "--name", "Camille", "--role", "Responsable")
        assert code == 2 and "disque plein" in err and "libérez de la place" in err, err


@pytest.mark.parametrize("obstacle", ["disque plein", "verrou"])
def test_cli_signoff_refused_by_the_file_is_a_sentence_without_a_screen(cli, tmp_path, obstacle):
    with small_disk(tmp_path / "disque", "8m") as disk:
        db = disk.folder / "demo.sqlite"
        assert cli("demo", "--db", db)[0] == 0
        Session.open(db).close()  # its lock file exists: the write itself is what fails
        if obstacle == "disque plein":
            disk.fill()
            code, _, err = cli("signoff", "--db", db, "--name", "Camille", "--role", "Responsable")
        else:
            with lock_held_by_another_process(db):
                code, _, err = cli("signoff", "--db", db, "--name", "Camille", "--role", "Responsable")
        assert code == 2 and "Traceback" not in err, err
        assert "écran" not in err and "demo.sqlite" in err and ("disque plein" in err or "verrouillé" in err), err


def test_a_full_backup_folder_is_said_and_leaves_no_empty_backup(cli, tmp_path, demo_db, monkeypatch):
    with small_disk(tmp_path / "donnees", "1m") as disk:
        monkeypatch.setenv("XDG_DATA_HOME", str(disk.folder))
        disk.fill()
        code, out, err = cli("signoff", "--db", demo_db, "--name", "Camille", "--role", "Responsable")
        assert code == 0 and "Sauvegarde" in err and "impossible" in err and "Traceback" not in err, out + err
        assert "Campagne validée" in out
        disk.free()
        assert [p for p in disk.folder.rglob("*") if p.is_file()] == []  # no empty or partial backup left
        # A backup made empty by an older version is refused by restore, the campaign left as it was.
        from convergence_tui.store.backups import folder_for

        folder = folder_for(demo_db)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "demo-20261201T100000000000Z.sqlite").write_bytes(b"")
        before = demo_db.read_bytes()
        code, _, err = cli("restore", "--db", demo_db, "1")
        assert code == 2 and "endommagée ou vide" in err
        assert demo_db.read_bytes() == before


def test_backups_are_single_files(demo_db):
    with Session.open(demo_db) as s:
        for _ in range(7):
            s.backup()
        backup = s.backup()
    assert sorted(p.name for p in backup.parent.iterdir() if not p.name.endswith(".sqlite")) == []
    assert len(list(backup.parent.iterdir())) == 5


def test_reading_on_a_full_disk(cli, tmp_path, p12, monkeypatch):
    """No WAL index yet and no room to create one: status and an export elsewhere still read."""
    with small_disk(tmp_path / "plein", "8m") as disk:
        db = disk.folder / "demo.sqlite"
        assert cli("demo", "--db", db)[0] == 0
        disk.fill()
        code, out, err = cli("status", "--db", db)
        assert code == 0 and "Bretagne" in out, err
        monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
        code, _, err = cli("export", "--db", db, "--p12", p12, "--draft", "--out", tmp_path / "ailleurs")
        assert code == 0, err
