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
    """Never touch the developer's own campaign, config or data folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("CONVERGENCE_DB", raising=False)
    monkeypatch.delenv("CONVERGENCE_CONFIG", raising=False)


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
