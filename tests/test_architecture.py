"""The layers of DESIGN.md §2 hold: the core never imports Textual, screens never touch SQL, zip or crypto."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "convergence_tui"
# What the CLI runs: importing it loads no Textual and no crypto (those come when a screen or a
# bundle needs them).
CORE = ["convergence_tui.referentiel", "convergence_tui.store", "convergence_tui.scoring",
        "convergence_tui.campaign.answers", "convergence_tui.campaign.problems", "convergence_tui.usecases.session",
        "convergence_tui.usecases.overview", "convergence_tui.usecases.review", "convergence_tui.cli"]


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """The import contracts of pyproject.toml (DESIGN.md §2), checked by import-linter over `root`."""
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(lint), "--config", str(root / "pyproject.toml")], cwd=root, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(root)})


def test_import_contracts_hold():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 5 kept, 0 broken." in done.stdout


@pytest.mark.parametrize("module, line, contract", [
    ("scoring/engine.py", "import textual", "The core never imports Textual"),
    ("scoring/engine.py", "import os", "Scoring is pure"),
    ("campaign/data.py", "from ..store import db", "never reach the store"),
    ("widgets/sidebar.py", "from ..screens import main", "Layers"),
    ("widgets/sidebar.py", "import sqlite3", "Screens and widgets touch no SQL"),
    ("store/db.py", "from ..usecases import session", "Layers"),
])
def test_import_contracts_catch_a_violation(tmp_path, module, line, contract):
    """Each contract can fail: the same tree with one forbidden import added is refused."""
    shutil.copytree(PACKAGE, tmp_path / "convergence_tui", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "convergence_tui" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")
    done = lint_imports(tmp_path)
    assert done.returncode != 0, done.stdout
    broken = done.stdout.split("Broken contracts")[-1]
    assert contract in broken, done.stdout


def test_core_imports_without_textual():
    code = ("import sys\n" + "".join(f"import {m}\n" for m in CORE)
            + "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'pyhanko')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_startup_imports_no_pydantic_once_the_questionnaire_is_checked(tmp_path):
    """The first screen needs neither pydantic nor anything of the bundle (start-up time)."""
    code = (
        "import sys\n"
        "from convergence_tui.referentiel import load\n"
        "load()\n"  # checks the bundled questionnaire once (and caches it)
        "for m in [m for m in sys.modules if m.startswith(('pydantic', 'convergence_tui'))]:\n"
        "    del sys.modules[m]\n"
        "import convergence_tui.app, convergence_tui.screens.main\n"
        "from convergence_tui.referentiel import load\n"
        "load()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pyhanko', 'cryptography')))"
    )
    env = {**__import__("os").environ, "XDG_CACHE_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip() == "[]"
