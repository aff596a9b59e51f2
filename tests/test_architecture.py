"""The layers of DESIGN.md §2 hold: the core never imports Textual, screens never touch SQL, zip or crypto."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT

PACKAGE = ROOT / "convergence_tui"
UI = [*sorted((PACKAGE / "screens").glob("*.py")), *sorted((PACKAGE / "widgets").glob("*.py"))]
FORBIDDEN_IN_UI = {"sqlite3", "sqlite_utils", "zipfile", "cryptography", "pyhanko", "asn1crypto"}
CORE = ["convergence_tui.referentiel", "convergence_tui.store", "convergence_tui.scoring",
        "convergence_tui.campaign.answers", "convergence_tui.campaign.problems", "convergence_tui.usecases.session",
        "convergence_tui.usecases.writes", "convergence_tui.usecases.overview", "convergence_tui.cli"]


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_screens_and_widgets_do_not_touch_sql_zip_or_crypto():
    for path in UI:
        assert not imported_modules(path) & FORBIDDEN_IN_UI, path


def test_core_imports_without_textual():
    code = ("import sys\n" + "".join(f"import {m}\n" for m in CORE)
            + "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'pyhanko')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_scoring_is_pure():
    for path in (PACKAGE / "scoring").glob("*.py"):
        assert not imported_modules(path) & {"sqlite3", "sqlite_utils", "textual", "os", "pathlib", "io"}, path


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
