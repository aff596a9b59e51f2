"""The files outside the campaign: the settings the person writes (config.toml), never rewritten by
the program, and what the program remembers (state.toml), kept apart; where both live."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from textual.widgets import Input

from convergence_tui.config import Remembered, Settings
from convergence_tui.paths import config_file, data_dir, state_file
from convergence_tui.widgets.choice import Choice
from tests.tui_helpers import running, type_text

PASSWORD = "motdepasse-pilote"

# Written by a person: comments, odd spacing, a literal string, keys in their own order, and the two
# values earlier versions wrote here themselves (author, p12), which now are only read.
ODD_SETTINGS = """\
# Mes réglages — ne pas perdre ce commentaire
author    =   "Anne Ancienne"     # écrit par une version précédente
p12 = 'ancien/pilote.p12'

theme="textual-light"
trust = [ "ans/racine.pem" ,
          "autre.pem" ]   # deux racines

[keymap]
  next_problem = "ctrl+n"   # à ma main
"""


@pytest.fixture
def odd_settings(tmp_path, monkeypatch) -> Path:
    config = tmp_path / "reglages" / "config.toml"
    config.parent.mkdir()
    config.write_bytes(ODD_SETTINGS.encode("utf-8"))
    monkeypatch.setenv("CONVERGENCE_CONFIG", str(config))
    return config


@pytest.fixture(scope="module")
def p12(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("id") / "pilote.p12"
    subprocess.run([sys.executable, "-m", "convergence_tui", "keygen", "--out", str(path), "--name", "Camille"],
                   env={**os.environ, "CONVERGENCE_P12_PASSWORD": PASSWORD}, check=True, capture_output=True)
    return path


def remembered_on_disk() -> dict:
    return tomllib.loads(state_file().read_text(encoding="utf-8"))


async def test_the_settings_file_is_never_rewritten(odd_settings, p12, tmp_path, monkeypatch):
    """The wizard, an export from the screen, quitting: the person's file stays
    byte for byte as written; what the program remembers goes to its own file."""
    monkeypatch.chdir(tmp_path)
    settings = Settings.load()
    assert settings.keymap == {"next_problem": "ctrl+n"} and not settings.problem
    db = tmp_path / "nouvelle.sqlite"
    async with running(db, settings=settings) as (app, pilot):
        wizard = app.screen
        # What an earlier version wrote into the settings still pre-fills (read as a default).
        assert wizard.query_one("#author", Input).value == "Anne Ancienne"
        wizard.query_one("#region", Choice).value = "53"
        wizard.query_one("#grades_name", Input).value = "GCS e-Santé Bretagne"
        wizard.query_one("#author", Input).value = ""
        wizard.query_one("#author", Input).focus()
        await type_text(pilot, "Yann Le Gall")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.session.meta()["author"] == "Yann Le Gall"
        assert remembered_on_disk()["author"] == "Yann Le Gall"  # at once: a crash later forgets nothing
        assert odd_settings.read_bytes() == ODD_SETTINGS.encode("utf-8")

        app.screen.query_one("#sidebar").focus()
        await pilot.press("e")
        await pilot.pause(0.2)
        export = app.screen
        assert export.query_one("#export-p12", Input).value == "ancien/pilote.p12"  # the old file's, as a default
        export.query_one("#export-p12", Input).value = os.path.relpath(p12, tmp_path)  # as typed: relative
        export.query_one("#export-draft").value = True
        export.query_one("#export-password", Input).value = PASSWORD
        await pilot.press("ctrl+s")
        for _ in range(300):
            await pilot.pause(0.05)
            if not export.running:
                break
        assert list((tmp_path / "exports").glob("*.zip"))
        await pilot.press("ctrl+q")
    assert odd_settings.read_bytes() == ODD_SETTINGS.encode("utf-8")
    on_disk = remembered_on_disk()
    # The certificate as an absolute path: the next run may start in another folder.
    assert on_disk == {"author": "Yann Le Gall", "p12": str(p12.resolve())}
    assert state_file().read_text(encoding="utf-8").startswith("# Écrit par convergence-tui")
    assert stat.S_IMODE(state_file().stat().st_mode) == 0o600  # a person's name and paths: private
    assert state_file().parent != odd_settings.parent

    # The next run: the state wins over the old values of the settings file.
    again = Remembered.load(Settings.load())
    assert (again.author, again.p12) == ("Yann Le Gall", str(p12.resolve()))



def test_the_commands_never_write_the_settings_file(odd_settings, p12, demo_db, tmp_path, monkeypatch, cli):
    monkeypatch.setenv("CONVERGENCE_P12_PASSWORD", PASSWORD)
    for argv in (("status", "--db", demo_db),
                 ("signoff", "--db", demo_db, "--name", "Yann Le Gall", "--role", "Urbaniste"),
                 ("export", "--db", demo_db, "--p12", p12, "--draft", "--out", tmp_path / "cli")):
        code, _, err = cli(*argv)
        assert code == 0, (argv, err)
    (bundle,) = (tmp_path / "cli").glob("*.zip")
    code, _, err = cli("verify", bundle)  # the anchors the settings name are not there: said, exit 2
    assert code == 2 and f"réglage trust de {odd_settings}" in err
    assert odd_settings.read_bytes() == ODD_SETTINGS.encode("utf-8")
    assert not state_file().exists()  # the commands remember nothing


def test_old_values_are_defaults_and_nothing_is_written_until_something_is_remembered(odd_settings):
    remembered = Remembered.load(Settings.load())
    assert (remembered.author, remembered.p12) == ("Anne Ancienne", "ancien/pilote.p12")
    remembered.save()  # nothing new: no file
    assert not state_file().exists()
    remembered.remember(author="Anne Ancienne")  # the same value: still nothing to write
    assert not state_file().exists()
    remembered.remember(p12="/srv/igc/signataire.p12")
    # Both go to the state file (the old author with them); the settings file is left alone.
    assert remembered_on_disk() == {"author": "Anne Ancienne", "p12": "/srv/igc/signataire.p12"}
    assert odd_settings.read_bytes() == ODD_SETTINGS.encode("utf-8")


def test_an_unreadable_settings_file_is_left_and_the_state_still_kept(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text("trust = 3\n", encoding="utf-8")
    monkeypatch.setenv("CONVERGENCE_CONFIG", str(config))
    settings = Settings.load()
    assert settings.problem
    Remembered.load(settings).remember(author="Quelqu'un d'autre")
    assert config.read_text(encoding="utf-8") == "trust = 3\n"
    assert Remembered.load(Settings.load()).author == "Quelqu'un d'autre"


@pytest.mark.parametrize("content", [b"author = [", b"\xff\xfe", b"author = 3\n"],
                         ids=["syntax", "not UTF-8", "wrong type"])
def test_an_unreadable_state_file_is_forgotten_and_rewritten(content):
    state_file().parent.mkdir(parents=True)
    state_file().write_bytes(content)
    remembered = Remembered.load(Settings())
    assert remembered.author == ""
    remembered.remember(author="Camille")
    assert remembered_on_disk() == {"author": "Camille"}


def test_where_the_files_live_and_how_to_move_them(tmp_path, monkeypatch):
    home = Path(os.environ["HOME"])
    assert config_file() == Path(os.environ["XDG_CONFIG_HOME"]) / "convergence-tui" / "config.toml"
    assert state_file() == Path(os.environ["XDG_STATE_HOME"]) / "convergence-tui" / "state.toml"
    assert data_dir() == Path(os.environ["XDG_DATA_HOME"]) / "convergence-tui"
    assert str(state_file()).startswith(str(home))
    for name, where in (("CONVERGENCE_CONFIG", tmp_path / "c.toml"), ("CONVERGENCE_STATE", tmp_path / "s.toml"),
                        ("CONVERGENCE_DATA", tmp_path / "donnees")):
        monkeypatch.setenv(name, str(where))
    assert (config_file(), state_file(), data_dir()) == (tmp_path / "c.toml", tmp_path / "s.toml",
                                                         tmp_path / "donnees")
    Remembered.load(Settings.load()).remember(author="Camille")
    assert (tmp_path / "s.toml").exists()


def test_backups_go_to_the_data_folder_it_names(cli, tmp_path, monkeypatch):
    from convergence_tui.usecases.session import Session

    monkeypatch.setenv("CONVERGENCE_DATA", str(tmp_path / "donnees"))
    db = tmp_path / "c.sqlite"
    with Session.create(db, author="Camille", answers={"region": "53"}) as s:
        backup = s.backup()
    assert backup.is_relative_to(tmp_path / "donnees" / "sauvegardes")
    code, out, _ = cli("restore", "--db", db)
    assert code == 0 and "Sauvegardes de" in out and "\n  1  " in out  # `restore` finds it there


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux n'est pas installé")
def test_the_real_program_quits_without_touching_the_settings(terminal, odd_settings, tmp_path):
    """The program itself in a terminal (it used to save the settings as it quit): a campaign made
    with the wizard, then ctrl+q. The settings file is as written; the name typed is remembered."""
    tmux = terminal
    tmux.env["CONVERGENCE_CONFIG"] = str(odd_settings)
    db = tmp_path / "c.sqlite"
    tmux.start([sys.executable, "-m", "convergence_tui", "--db", str(db)], width=80, height=24)
    tmux.wait_for("Nouvelle campagne")
    pid = int(tmux.pane("#{pane_pid}"))
    tmux.wait_footer("Choisir")  # the region has the focus
    tmux.keys("Right")  # the first region of the list
    tmux.wait_until(lambda screen: "— choisir —" not in screen, "une région choisie")
    tmux.keys("Tab")
    tmux.wait_focus("GRADeS")  # a bound key runs after the characters of the same read: wait for it
    tmux.type("GCS e-Santé Bretagne")
    tmux.wait_focus("GRADeS", "GCS e-Santé Bretagne")
    tmux.keys("Tab", "Tab", "Tab")  # the semester and the date keep what is proposed; the name
    tmux.wait_focus("Votre nom", "Anne Ancienne")  # pre-filled from what an earlier version wrote
    tmux.keys("End", "C-u")
    tmux.wait_focus("Votre nom", "Prénom Nom")
    tmux.type("Yann Le Gall")
    tmux.wait_focus("Votre nom", "Yann Le Gall")
    tmux.keys("C-s")
    tmux.wait_for("● enregistré")
    tmux.keys("C-q")
    assert tmux.wait_exit(pid) == ("0", "")
    assert odd_settings.read_bytes() == ODD_SETTINGS.encode("utf-8")
    state = Path(tmux.env["XDG_STATE_HOME"]) / "convergence-tui" / "state.toml"
    # (the old file's certificate with it: from now on the state is what the program reads)
    assert tomllib.loads(state.read_text(encoding="utf-8")) == {"author": "Yann Le Gall", "p12": "ancien/pilote.p12"}
