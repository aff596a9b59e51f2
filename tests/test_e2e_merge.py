"""Team work in real terminals (issue #16): the lead's campaign copied for Anne and Paul with
`convergence copy`; each rates in a terminal of their own (a tmux server and a home each, like two
laptops, at 80×24), keys only; the lead merges both copies in a third terminal from the keyboard,
sees the conflict with both values and who made them, and resolves it with one key."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from convergence_tui.referentiel import load
from convergence_tui.usecases.overview import grid_rows as session_grid_rows
from convergence_tui.usecases.session import Session
from tests.terminal import grid_cursor, private_terminal, program, stored, wait_saved

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux n'est pas installé"),
]


def cli(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "convergence_tui", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def as_person(argv: list[str], name: str) -> list[str]:
    """The program's command with the name its changes are journaled under (one laptop, one person)."""
    at = argv.index(sys.executable)  # among the variables `env` sets, before the program
    return [*argv[:at], f"CONVERGENCE_AUTHOR={name}", *argv[at:]]


def other_level(allowed, current):
    return allowed[(allowed.index(current) + 1) % len(allowed)] if current in allowed else allowed[-1]


def rate(tmux, db: Path, name: str, sid: str, service_name: str, levels: list[tuple[str, object]]) -> None:
    """Open the campaign as `name`, rate the first criteria of the first service, quit."""
    tmux.start(as_person(program(tmux, db), name), width=80, height=24)
    tmux.wait_for("Reprendre")
    tmux.keys("4")
    tmux.wait_until(lambda s: grid_cursor(s) is not None and service_name[:20] in s, "la grille du premier service")
    tmux.keys("Home")
    for cid, level in levels:
        tmux.wait_until(lambda s, cid=cid: grid_cursor(s) == cid, f"{cid} en détail")
        tmux.keys(str(level))
        wait_saved(db, f"{sid}/{cid}", "level", level, tmux)
    tmux.keys("C-q")
    tmux.wait_until(lambda s: "Convergence" not in s or "Pane is dead" in s or s.strip() == "", "la sortie",
                    timeout=20)


def test_two_copies_rated_in_two_terminals_merged_and_resolved_in_a_third(tmp_path: Path):
    lead, anne, paul = tmp_path / "equipe.sqlite", tmp_path / "anne.sqlite", tmp_path / "paul.sqlite"
    cli("demo", "--db", str(lead))
    cli("copy", "--db", str(lead), "--out", str(anne))
    cli("copy", "--db", str(lead), "--out", str(paul))
    with Session.open(lead, load(), readonly=True) as s:
        sid = s.data.live_ids("service")[0]
        name = s.data.name_of(sid)
        (c1, allowed1, now1), (c2, allowed2, now2) = [
            (r.criterion.id, s.ref.allowed_levels(r.criterion), r.level) for r in session_grid_rows(s, sid)[:2]]
    anne_level = other_level(allowed1, now1)
    paul_level = other_level(allowed1, anne_level)  # a third value: the two differ, a conflict
    paul_second = other_level(allowed2, now2)  # changed by Paul only: taken

    for folder, db, who, levels in ((tmp_path / "a", anne, "Anne", [(c1, anne_level)]),
                                    (tmp_path / "p", paul, "Paul", [(c1, paul_level), (c2, paul_second)])):
        folder.mkdir()
        with private_terminal(folder) as tmux:
            rate(tmux, db, who, sid, name, levels)

    (tmp_path / "lead").mkdir()
    with private_terminal(tmp_path / "lead") as tmux:
        tmux.start(as_person(program(tmux, lead), "Camille"), width=80, height=24)
        tmux.wait_for("Complétude")  # the campaign read (a merge waits for it, and says so)
        tmux.keys("M")  # « Fusionner une copie »
        tmux.wait_for("Fusionner la copie d'un coéquipier")
        tmux.type(str(anne))
        tmux.keys("Enter")
        tmux.wait_for("modifications de Anne")  # what the merge did, said; Anne's change alone: taken
        tmux.wait_for("aucun conflit")
        assert stored(lead, f"{sid}/{c1}", "level")[0] == anne_level
        tmux.keys("f")
        tmux.wait_for("Fusionner la copie d'un coéquipier")
        tmux.type(str(paul))
        tmux.keys("Enter")
        tmux.wait_for("1 conflit à résoudre")
        # Both values, who and when, once the merge's toast has gone from over the details.
        screen = tmux.wait_until(lambda s: s if "Anne, le" in s and "Paul, le" in s else None,
                                 "les deux valeurs, qui et quand")
        assert f"N{anne_level}" in screen and f"N{paul_level}" in screen and "paul.sqlite" in screen, screen
        assert stored(lead, f"{sid}/{c2}", "level")[0] == paul_second  # Paul's other change taken
        assert stored(lead, f"{sid}/{c1}", "level")[0] == anne_level  # never decided silently
        tmux.keys("t")  # take Paul's
        tmux.wait_for("aucun conflit à résoudre")
        wait_saved(lead, f"{sid}/{c1}", "level", paul_level, tmux)
        tmux.keys("Escape")
        screen = tmux.wait_for("Reprendre")
        assert "Fusion :" not in screen  # no sidebar entry, no line on the opening view any more

    with Session.open(lead, load(), readonly=True) as s:
        assert s.conflicts() == []
        rows = s.journal(limit=400)
        assert {"Anne", "Paul"} <= {r.author for r in rows}  # their changes kept their names
        assert any(r.op == "resolve" and r.author == "Camille" for r in rows)
