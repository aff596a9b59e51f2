"""Shared fixtures: real questionnaires, real SQLite files, the real CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from convergence_tui.cli import main as cli_main
from convergence_tui.referentiel import load

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini.toml"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Never touch the developer's own campaign, settings, state or data folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    for name in ("CONVERGENCE_DB", "CONVERGENCE_CONFIG", "CONVERGENCE_STATE", "CONVERGENCE_DATA"):
        monkeypatch.delenv(name, raising=False)
    # Who types, as a laptop set up for it would say: the demo's author (else the program asks first).
    monkeypatch.setenv("CONVERGENCE_AUTHOR", "Camille Le Goff")


@pytest.fixture(scope="session")
def ref():
    return load()


@pytest.fixture(scope="session")
def mini_ref():
    return load(MINI)


@pytest.fixture(scope="session")
def _demo_master(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    assert cli_main(["demo", "--db", str(path)]) == 0
    return path


@pytest.fixture
def demo_db(_demo_master, tmp_path) -> Path:
    """A fresh copy of the demo campaign for each test."""
    path = tmp_path / "demo.sqlite"
    shutil.copy(_demo_master, path)
    return path


class CLI:
    def __init__(self, capsys):
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        code = cli_main([str(a) for a in argv])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(capsys) -> CLI:
    return CLI(capsys)


@pytest.fixture
def complete_db(tmp_path):
    """The worked example of DESIGN.md §4 (d = 2023-01-15), with its plan made complete."""
    from convergence_tui.usecases.session import Session

    db = tmp_path / "mini.sqlite"
    with Session.create(db, MINI, author="Yann", answers={
            "region": "53", "campaign_label": "2023-S1", "reference_date": "2023-01-15", "legal_form": "GIP"}) as s:
        sid = s.add_item("service", {"name": "S", "category": "COORD"})
        for cid, level in (("A-1", 2), ("A-2", 1), ("B-1", 4), ("B-2", 0)):
            s.set_level(sid, cid, level)
        s.set_answer(f"{sid}/B-1", "evidence", "Certificat HDS")
        for cid, target, due in (("A-1", 4, "2023-03-31"), ("A-2", 3, "2023-09-30")):
            s.add_item("blocker", {"service": sid, "criterion": cid, "category": "vendor", "description": "Éditeur"})
            s.add_item("action", {"service": sid, "criterion": cid, "title": "Monter", "target_level": target,
                                  "due": due, "owner": "vendor", "status": "planned"})
        other = s.add_item("service", {"name": "T", "category": "INFRA"})
        for cid, level in (("A-1", 4), ("A-2", 4), ("B-1", "NA")):
            s.set_level(other, cid, level)
        s.set_answer(f"{other}/B-1", "justification", "Pas de données de santé")
        s.set_answer(f"{other}/A-2", "evidence", "Audit 2022")
        assert s.problems() == []
    return db



@pytest.fixture
def terminal(tmp_path):
    """The real program's terminal: a tmux server of its own, a home of its own (tests/terminal.py)."""
    from tests.terminal import private_terminal

    with private_terminal(tmp_path) as tmux:
        yield tmux
