"""Rating a whole service in a real terminal at 80×24 with the number keys only (issue #14): after
each key, the criterion the details pane names is a row drawn in the grid on screen, the level is
in the file, and the cursor has moved on to the next criterion."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from convergence_tui.referentiel import load
from convergence_tui.usecases.overview import grid_rows as session_grid_rows
from convergence_tui.usecases.session import Session
from tests.terminal import Tmux, demo_and_program, grid_cursor, grid_rows, stored, wait_saved

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux n'est pas installé"),
]


def test_a_service_rated_with_number_keys_only_at_80x24(terminal: Tmux, tmp_path: Path):
    tmux = terminal
    db = tmp_path / "c.sqlite"
    program = demo_and_program(tmux, db)
    with Session.open(db, load()) as session:
        sid = session.data.live_ids("service")[0]
        name = session.data.name_of(sid)
        rows = [(r.criterion.id, session.ref.allowed_levels(r.criterion), r.level)
                for r in session_grid_rows(session, sid)]
    assert len(rows) >= 20

    tmux.start(program, width=80, height=24)
    tmux.wait_for("Reprendre")
    tmux.keys("4")
    tmux.wait_until(lambda s: grid_cursor(s) is not None and name[:20] in s, "la grille du premier service")
    tmux.keys("Home")
    tmux.wait_until(lambda s: grid_cursor(s) == rows[0][0], "le premier critère")

    keys = 0
    for i, (cid, allowed, current) in enumerate(rows):
        screen = tmux.wait_until(lambda s, cid=cid: s if grid_cursor(s) == cid else None, f"{cid} en détail")
        shown = [c for c, _level in grid_rows(screen)]
        assert cid in shown, f"{cid} n'est pas à l'écran dans la grille :\n{screen}"
        # A level the criterion allows, other than the one it has, so that every key is a change.
        level = allowed[(allowed.index(current) + 1) % len(allowed)] if current in allowed else allowed[-1]
        tmux.keys(str(level))
        keys += 1
        wait_saved(db, f"{sid}/{cid}", "level", level, tmux)
        following = rows[i + 1][0] if i + 1 < len(rows) else cid
        after = tmux.wait_until(lambda s, f=following: s if grid_cursor(s) == f else None,
                                f"le curseur sur {following} après la touche {level} sur {cid}")
        assert following in [c for c, _level in grid_rows(after)], after
        assert stored(db, f"{sid}/{cid}", "level")[2] is None
    assert keys == len(rows)  # one key per criterion, nothing else
