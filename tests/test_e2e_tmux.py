"""End to end: the real program, in a real terminal (tmux), driven only by keys.

A demo campaign is created with the CLI, the app is started in a detached tmux
session on its own socket, answers are given in several sections (a form
field, two grid levels on two services, a new blocker and its description),
each one is checked on disk through a separate SQLite connection, then the
app is killed with SIGKILL in the middle of typing. After a restart on the
same file, every completed change must still be there, in the file and on
the screen, and the file must pass `PRAGMA integrity_check`.

The terminal driver (tmux, the screen read, the waits) is `tests/terminal.py`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
from pathlib import Path

import pytest

from tests.terminal import (
    Tmux,
    all_answers,
    demo_and_program,
    grid_cursor,
    grid_rows,
    journal,
    last_seq,
    leave_to_sections,
    live_ids,
    query,
    search,
    stored,
    title,
    wait_saved,
    zombie_status,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux n'est pas installé"),
]

NEW_SIRET = "73282932000074"  # 14 digits, valid Luhn key
BLOCKER_TEXT = "Editeur en retard sur le connecteur"
IN_FLIGHT = "Nolwenn Tanguy (saisie interrompue)"


def test_keyboard_answers_survive_kill_9(terminal: Tmux, tmp_path: Path):
    tmux = terminal
    db = tmp_path / "c.sqlite"
    app = demo_and_program(tmux, db)

    services = live_ids(db, "service")
    blockers = live_ids(db, "blocker")
    svc1, svc2 = services[0], services[1]
    name1 = stored(db, svc1, "name")[0]
    name2 = stored(db, svc2, "name")[0]
    old_siret = stored(db, "campaign", "siret")[0]
    delegate = stored(db, "campaign", "delegate_name")[0]
    assert old_siret != NEW_SIRET

    tmux.start(app)
    tmux.wait_for("enregistré")
    pid = int(tmux.pane("#{pane_pid}"))
    assert "convergence_tui" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")

    # 1. Acteur régional, a form: "/siret" Entrée puts the cursor in the SIRET field. End then
    #    ctrl+u (Textual Input: delete everything left of the cursor), the new number, Entrée.
    #    Each bound key is awaited before typing on: Textual 8 runs an Input's bound keys (End,
    #    ctrl+u, backspace…) *after* printable characters that arrive in the same read
    #    (Textualize/textual#6605), so "C-u then digits" sent at once loses the digits.
    search(tmux, "siret", "SIRET du GRADeS — Acteur régional")
    tmux.wait_focus("SIRET du GRADeS", old_siret)
    tmux.keys("End", "C-u")
    tmux.wait_focus("SIRET du GRADeS", "14 chiffres")  # empty: its placeholder shows
    tmux.type(NEW_SIRET)
    tmux.wait_focus("SIRET du GRADeS", NEW_SIRET)
    tmux.keys("Enter")
    wait_saved(db, "campaign", "siret", NEW_SIRET, tmux)
    tmux.wait_for("● enregistré")

    # 2. The grid: leave the field (one-letter keys work again), section 4: the first service.
    leave_to_sections(tmux)
    tmux.keys("4")
    tmux.wait_footer("Niveau 0")  # the grid has the focus: digits are levels now
    rows = tmux.wait_until(lambda s: title(s).startswith(name1[:40]) and grid_rows(s)
                           and grid_cursor(s) == grid_rows(s)[0][0] and grid_rows(s), f"la grille de {name1}")
    assert len(rows) >= 3, rows
    crit1, cell1 = rows[2]
    tmux.keys("Down", "Down")
    tmux.wait_until(lambda s: grid_cursor(s) == crit1, f"le curseur sur {crit1}")
    level1 = "1" if cell1.rstrip("!") != "1" else "2"  # a key that changes the row
    before = last_seq(db)
    tmux.keys(level1)
    wait_saved(db, f"{svc1}/{crit1}", "level", int(level1), tmux)
    assert [(r[1], r[2]) for r in journal(db, before)] == [(f"{svc1}/{crit1}", "level")]

    # `.`: the next service's grid, cursor on its first row, another level key.
    tmux.keys(".")
    rows2 = tmux.wait_until(lambda s: title(s).startswith(name2[:40]) and grid_rows(s)
                            and grid_cursor(s) == grid_rows(s)[0][0] and grid_rows(s), f"la grille de {name2}")
    tmux.wait_footer("Niveau 0")
    crit2, cell2 = rows2[0]
    level2 = "0" if cell2.rstrip("!") != "0" else "1"
    before = last_seq(db)
    tmux.keys(level2)
    wait_saved(db, f"{svc2}/{crit2}", "level", int(level2), tmux)
    assert [(r[1], r[2]) for r in journal(db, before)] == [(f"{svc2}/{crit2}", "level")]

    # 3. Freins, a list: `a` adds a blocker and opens its form; tab to the description.
    leave_to_sections(tmux)
    tmux.keys("7")
    tmux.wait_for(f"Freins  {len(blockers)} freins")
    tmux.wait_footer("a Ajouter")
    before = last_seq(db)
    tmux.keys("a")
    tmux.wait_for(f"frein n° {len(blockers) + 1}")
    tmux.wait_footer("g Groupe")  # the form's first field: the gaps, ticked in a list
    added = set(live_ids(db, "blocker")) - set(blockers)
    assert len(added) == 1, added
    blocker = added.pop()
    assert re.fullmatch(r"b-[0-9a-f]{8}", blocker), blocker  # a new id no other copy can give
    assert [(r[1], r[2]) for r in journal(db, before)] == [(blocker, "@item")]
    tmux.keys("Tab", "Tab")  # the gaps, the origin (a select), then the description
    tmux.wait_focus("Description")
    tmux.type(BLOCKER_TEXT)  # no Entrée (it would be a new line): saved by the 300 ms debounce
    wait_saved(db, blocker, "description", BLOCKER_TEXT, tmux)
    tmux.keys("Escape")  # closes the form, back to the list
    tmux.wait_until(lambda s: "Description *" not in s and f"Freins  {len(blockers) + 1} freins" in s,
                    "la liste des freins")

    # 4. Typing in a text field, then SIGKILL, well under the 300 ms debounce. (The field selects
    #    its text on focus: what is typed replaces it.) The first keys are awaited on screen, so
    #    the app is really mid-edit (a debounced save pending, or just done); the last ones are
    #    followed at once by the kill.
    search(tmux, "Responsable délégué", "Responsable délégué(e) — Acteur régional")
    tmux.wait_focus("Responsable délégué(e)", delegate)
    tmux.wait_for("● enregistré")
    completed = journal(db)  # every change made so far: none may be lost
    answers = all_answers(db)
    tmux.type(IN_FLIGHT[:8])
    tmux.wait_focus("Responsable délégué(e)", IN_FLIGHT[:8])
    tmux.type(IN_FLIGHT[8:])
    os.kill(pid, signal.SIGKILL)  # a few ms after the keys: long before the 300 ms debounce
    status, sig = tmux.wait_exit(pid)
    assert not status and sig in ("9", ""), (status, sig)  # pane_dead_signal: tmux >= 3.3

    # 5. Restart on the same file. (The file is not opened in between: the app itself must
    #    recover the hot WAL left by the kill.)
    tmux.respawn(app)
    tmux.wait_for("enregistré")
    assert int(tmux.pane("#{pane_pid}")) != pid

    assert query(db, "pragma integrity_check") == [("ok",)]
    after = journal(db)
    assert after[:len(completed)] == completed, "a completed change is missing from the journal"
    # Only the keystrokes in flight may have reached the file (or not): nothing else changed.
    in_flight = ("campaign", "delegate_name")
    assert {(r[1], r[2]) for r in after[len(completed):]} <= {in_flight}
    assert [a for a in all_answers(db) if a[:2] != in_flight] == [a for a in answers if a[:2] != in_flight]
    assert stored(db, "campaign", "siret") == (NEW_SIRET, NEW_SIRET, None)
    assert stored(db, f"{svc1}/{crit1}", "level")[::2] == (int(level1), None)
    assert stored(db, f"{svc2}/{crit2}", "level")[::2] == (int(level2), None)
    assert blocker in live_ids(db, "blocker")
    assert stored(db, blocker, "description") == (BLOCKER_TEXT, BLOCKER_TEXT, None)

    # ...and on the screen. The opening view offers to resume at the newest change the file has:
    # Entrée puts the cursor there (the interrupted field, or the blocker's description).
    tmux.wait_for("Reprendre là où vous en étiez")
    newest = (after[-1][1], after[-1][2])
    tmux.keys("Enter")
    if newest == in_flight:
        tmux.wait_focus("Responsable délégué(e)", stored(db, *in_flight)[1])
    else:
        assert newest == (blocker, "description"), newest
        tmux.wait_focus("Description", BLOCKER_TEXT)
    leave_to_sections(tmux)
    leave_to_sections(tmux)
    # The SIRET in its field, the level in the grid, the blocker in the list, and the interrupted
    # field as the file has it (whichever way the race went).
    search(tmux, "siret", "SIRET du GRADeS — Acteur régional")
    tmux.wait_focus("SIRET du GRADeS", NEW_SIRET)
    leave_to_sections(tmux)
    search(tmux, "Responsable délégué", "Responsable délégué(e) — Acteur régional")
    tmux.wait_focus("Responsable délégué(e)", stored(db, *in_flight)[1])
    leave_to_sections(tmux)
    tmux.keys("4")
    tmux.wait_footer("Niveau 0")
    rows = tmux.wait_until(lambda s: title(s).startswith(name1[:40]) and grid_rows(s), f"la grille de {name1}")
    assert dict(rows)[crit1].rstrip("!") == level1, rows
    leave_to_sections(tmux)
    tmux.keys("7")
    tmux.wait_for(f"Freins  {len(blockers) + 1} freins")

    # ctrl+q quits cleanly, and the file is still sound afterwards.
    pid = int(tmux.pane("#{pane_pid}"))
    tmux.keys("C-q")
    assert tmux.wait_exit(pid) == ("0", "")
    assert query(db, "pragma integrity_check") == [("ok",)]
    assert stored(db, "campaign", "siret") == (NEW_SIRET, NEW_SIRET, None)


def test_a_level_key_while_another_process_locks_the_file_waits_on_screen_then_is_saved(terminal: Tmux,
                                                                                       tmp_path: Path):
    """80×24. Another process holds an exclusive SQLite lock on the campaign: a level key shows the
    new level marked not saved, the file keeps the old one; quitting asks (the list fits); once the
    lock is released the automatic retry saves it, the screen says so, and ctrl+q quits with 0."""
    from tests.obstacles import lock_held_by_another_process

    tmux = terminal
    db = tmp_path / "c.sqlite"
    app = demo_and_program(tmux, db)
    svc1 = live_ids(db, "service")[0]
    name1 = stored(db, svc1, "name")[0]
    tmux.start(app, width=80, height=24)
    tmux.wait_for("● enregistré")
    pid = int(tmux.pane("#{pane_pid}"))
    tmux.keys("4")
    tmux.wait_footer("Niveau 0")
    rows = tmux.wait_until(lambda s: title(s).startswith(name1[:30]) and grid_rows(s)
                           and grid_cursor(s) == grid_rows(s)[0][0] and grid_rows(s), f"la grille de {name1}")
    crit, cell = rows[0]
    level = "1" if cell.rstrip("!") != "1" else "2"
    scope = f"{svc1}/{crit}"
    before = stored(db, scope, "level")

    def row_of(screen: str) -> str:
        return next((line for line in screen.split("\n") if re.search(rf"▕\s+{crit} ", line)), "")

    with lock_held_by_another_process(db) as release:
        tmux.keys(level)
        screen = tmux.wait_until(lambda s: s if "NON ENREGISTRÉ (1)" in s and dict(grid_rows(s)).get(crit) == level
                                 and "NON ENREGISTRÉ" in row_of(s) else None, "le niveau en attente")
        assert screen.split("\n")[0].lstrip().startswith("⚠ NON ENREGISTRÉ")  # the top bar, first
        assert stored(db, scope, "level") == before
        tmux.keys("C-q")
        tmux.wait_for("quitter maintenant les perdrait")
        screen = tmux.wait_for("Quitter, perdre (p)")
        assert f"{crit} ({name1[:10]}" in screen and f"niveau = « {level} »" in screen
        assert "Rester (échap)" in screen and "Réessayer (r)" in screen
        tmux.keys("Escape")  # stay
        tmux.wait_until(lambda s: "perdrait" not in s and "NON ENREGISTRÉ (1)" in s, "la grille, toujours en attente")
        assert zombie_status(pid) is None  # still running
        release()
    wait_saved(db, scope, "level", int(level), tmux)
    tmux.wait_until(lambda s: "● enregistré" in s and "NON ENREGISTRÉ" not in s
                    and dict(grid_rows(s)).get(crit, "").rstrip("!") == level, "le niveau enregistré")
    tmux.wait_for("Tout ce qui attendait")  # the notification (wrapped at 80 columns)
    tmux.keys("C-q")
    assert tmux.wait_exit(pid) == ("0", "")
    assert query(db, "pragma integrity_check") == [("ok",)]
    assert stored(db, scope, "level")[::2] == (int(level), None)


def test_a_closed_terminal_keeps_what_the_file_refused_in_a_file_of_its_own(terminal: Tmux, tmp_path: Path):
    """80×24. A level waits for a lock another process holds; the terminal goes away (SIGHUP): the
    program ends by itself (not killed), and the level is written, with its place, to a file of its
    own in the user's data folder: nothing is dropped in silence."""
    from tests.obstacles import lock_held_by_another_process

    tmux = terminal
    db = tmp_path / "c.sqlite"
    app = demo_and_program(tmux, db)
    tmux.start(app, width=80, height=24)
    tmux.wait_for("● enregistré")
    pid = int(tmux.pane("#{pane_pid}"))
    tmux.keys("4")
    tmux.wait_footer("Niveau 0")
    rows = tmux.wait_until(lambda s: grid_rows(s) and grid_cursor(s) == grid_rows(s)[0][0] and grid_rows(s),
                           "la grille")
    crit, cell = rows[0]
    level = "1" if cell.rstrip("!") != "1" else "2"
    with lock_held_by_another_process(db):
        tmux.keys(level)
        tmux.wait_for("NON ENREGISTRÉ (1)")
        os.kill(pid, signal.SIGHUP)
        assert tmux.wait_exit(pid) == ("1", "")
    kept = list((Path(tmux.env["XDG_DATA_HOME"]) / "convergence-tui" / "non-enregistre").glob("c-*.json"))
    assert len(kept) == 1
    doc = json.loads(kept[0].read_text(encoding="utf-8"))
    (entry,) = doc["non_enregistre"]
    assert entry["type"] == "SetAnswer" and entry["field"] == "level" and str(entry["raw"]) == level
    assert crit in entry["modification"] and doc["campagne"].endswith("c.sqlite")
    assert oct(kept[0].stat().st_mode & 0o777) == "0o600"
