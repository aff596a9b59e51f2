"""End to end: the real program, in a real terminal (tmux), driven only by keys.

A demo campaign is created with the CLI, the app is started in a detached tmux
session on its own socket, answers are given in several sections (a form
field, two grid levels on two services, a new blocker and its description),
each one is checked on disk through a separate SQLite connection, then the
app is killed with SIGKILL in the middle of typing. After a restart on the
same file, every completed change must still be there, in the file and on
the screen, and the file must pass `PRAGMA integrity_check`.

Synchronisation is always on what the terminal shows (or the file holds),
never on fixed sleeps: the screen text, the footer (it lists the keys of the
focused widget) and, for text fields, the accent colour of the focused
control's border (`capture-pane -e`).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux n'est pas installé"),
]

WIDTH, HEIGHT = 100, 32
TIMEOUT = 20.0  # the CI machine is slow: the app takes 1–2 s to start

NEW_SIRET = "73282932000074"  # 14 digits, valid Luhn key
BLOCKER_TEXT = "Editeur en retard sur le connecteur"
IN_FLIGHT = "Nolwenn Tanguy (saisie interrompue)"

CRIT = r"[A-Z]{2,4}-\d{2}"
GRID_ROW = re.compile(rf"▕\s+({CRIT}) [★ ]\s+(\S+)\s")  # criterion, level cell
GRID_DETAILS = re.compile(rf"▕ ({CRIT}) — ")  # first line of the details of the current row
ESCAPES = re.compile(r"\x1b(?:\[[0-9;:?]*[A-Za-z]|\][^\x07\x1b]*(?:\x07|\x1b\\))")
SGR_OR_BAR = re.compile(r"\x1b\[([0-9;:]*)m|▊")


# --- the terminal -------------------------------------------------------------


class Tmux:
    """One tmux server on a private socket, one session "app" whose pane runs the program."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.cwd = tmp
        self.socket = f"convergence-e2e-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.conf = tmp / "tmux.conf"
        # remain-on-exit: a crash or a kill leaves the pane (its status, its last screen) to inspect.
        self.conf.write_text("set -g remain-on-exit on\nset -g status off\nset -sg escape-time 0\n")
        self.env = env

    def __call__(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-u", "-L", self.socket, "-f", str(self.conf), *args],
                              env=self.env, capture_output=True, text=True, timeout=15)
        if done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} a échoué : {done.stderr.strip()}")
        return done.stdout

    def start(self, argv: list[str], width: int = WIDTH, height: int = HEIGHT) -> None:
        # Started in the campaign's folder, as a person would: the top bar shows "c.sqlite". (With a
        # long temporary path, "enregistré" falls off the end of a 100-column top bar.)
        self("new-session", "-d", "-x", str(width), "-y", str(height), "-s", "app", "-c", str(self.cwd), *argv)

    def respawn(self, argv: list[str]) -> None:
        self("respawn-pane", "-k", "-t", "app", "-c", str(self.cwd), *argv)

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "app")

    def styled(self) -> str:
        return self("capture-pane", "-e", "-p", "-t", "app")

    def keys(self, *keys: str) -> None:
        self("send-keys", "-t", "app", *keys)

    def type(self, text: str) -> None:
        self("send-keys", "-t", "app", "-l", text)

    def pane(self, fmt: str) -> str:
        return self("display-message", "-p", "-t", "app", fmt).strip()

    def kill_server(self) -> None:
        found = subprocess.run(["tmux", "-L", self.socket, "display-message", "-p", "#{socket_path}"],
                               env=self.env, capture_output=True, text=True, timeout=15)
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env,
                       capture_output=True, timeout=15)
        if found.returncode == 0 and found.stdout.strip():
            Path(found.stdout.strip()).unlink(missing_ok=True)  # tmux leaves its socket file behind

    # --- synchronisation ---------------------------------------------------------

    def wait_until(self, test: Callable[[str], object], what: str, timeout: float = TIMEOUT,
                   styled: bool = False):
        """Poll the screen until `test(screen)` is truthy; returns its result."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.styled() if styled else self.screen()
            result = test(screen)
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} : pas à l'écran après {timeout} s. Écran :\n{plain(screen)}")
            time.sleep(0.1)

    def wait_for(self, text: str, timeout: float = TIMEOUT) -> str:
        return self.wait_until(lambda s: s if text in s else None, repr(text), timeout)

    def wait_footer(self, text: str, timeout: float = TIMEOUT) -> str:
        """The footer lists the keys of the focused widget and its parents: a focus probe."""
        return self.wait_until(lambda s: s if text in footer(s) else None, f"pied de page {text!r}", timeout)

    def wait_focus(self, label: str, text: str = "", timeout: float = TIMEOUT) -> None:
        """Wait until the focused control is the field labelled `label` (and shows `text`)."""
        def test(screen: str):
            focused = focused_field(screen)
            return focused is not None and label in focused[0] and text in focused[1]
        self.wait_until(test, f"le focus sur {label!r} {text!r}", timeout, styled=True)

    def wait_exit(self, pid: int, timeout: float = TIMEOUT) -> tuple[str, str]:
        """Wait until the program `pid` has ended: (exit status, signal), as strings."""
        deadline = time.monotonic() + timeout
        while True:
            dead, status, sig = self.pane("#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}").split("|")
            if dead == "1" and (status or sig):
                return status, sig
            # tmux 3.3a under load sometimes leaves the child a zombie, unreaped, for a long while
            # (and tmux < 3.3 has no pane_dead_signal): then read the status from /proc.
            ended = _zombie_status(pid)
            if dead == "1" and ended is not None:
                return ended
            if time.monotonic() > deadline:
                raise AssertionError(f"le programme tourne encore (pane_dead={dead}). Écran :\n{self.screen()}")
            time.sleep(0.05)


def _zombie_status(pid: int) -> tuple[str, str] | None:
    """(exit status, signal) of a process that has ended but is not yet reaped; ("", "") when it
    is gone already; None while it runs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "", ""
    fields = stat[stat.rindex(")") + 2:].split()  # fields[0] is field 3 (state)
    if fields[0] != "Z":
        return None
    code = int(fields[49]) if len(fields) > 49 else 0  # field 52, exit_code (Linux >= 3.5)
    return (str(code >> 8), "") if code & 0x7F == 0 else ("", str(code & 0x7F))


def plain(screen: str) -> str:
    return ESCAPES.sub("", screen)


def footer(screen: str) -> str:
    lines = screen.rstrip("\n").split("\n")
    return lines[-1] if lines else ""


def title(screen: str) -> str:
    """The first line of the current view (the grid's title: the service's name first)."""
    lines = screen.split("\n")
    return lines[1].split("▕", 1)[-1].strip() if len(lines) > 1 else ""


def grid_rows(screen: str) -> list[tuple[str, str]]:
    return GRID_ROW.findall(screen)


def grid_cursor(screen: str) -> str | None:
    found = GRID_DETAILS.search(screen)
    return found.group(1) if found else None


def _bar_colour(line: str) -> str | None:
    """The foreground colour in effect at the first "▊" (left edge of a tall border) of a line."""
    fg = None
    for m in SGR_OR_BAR.finditer(line):
        if m.group(0) == "▊":
            return fg
        params = m.group(1).split(";") if m.group(1) else ["0"]
        i = 0
        while i < len(params):
            p = params[i]
            if p in ("", "0", "39"):
                fg = None
            elif p == "38" and i + 1 < len(params):
                n = 3 if params[i + 1] == "5" else 5
                fg = ";".join(params[i:i + n])
                i += n - 1
            elif p.isdigit() and (30 <= int(p) <= 37 or 90 <= int(p) <= 97):
                fg = p
            i += 1
    return None


def focused_field(styled: str) -> tuple[str, str] | None:
    """(label, contents) of the focused field. Every control has a tall border; the focused one
    is drawn in the accent colour: the one colour whose rows form a single block while the
    other (blurred) fields form several."""
    lines = styled.split("\n")
    colours: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        if "▊" in line and (colour := _bar_colour(line)) is not None:
            colours.setdefault(colour, []).append(i)

    def blocks(rows: list[int]) -> int:
        return 1 + sum(1 for a, b in itertools.pairwise(rows) if b != a + 1)

    single = [rows for rows in colours.values() if blocks(rows) == 1]
    several = [rows for rows in colours.values() if blocks(rows) > 1]
    if len(single) != 1 or not several:
        return None
    rows = single[0]
    text = [plain(lines[i]).split("▊", 1)[-1] for i in rows]
    label = plain(lines[rows[0] - 1]).split("▕", 1)[-1].strip() if rows[0] > 0 else ""
    return label, "\n".join(text)


# --- the file -----------------------------------------------------------------


def query(db: Path, sql: str, params=()) -> list[tuple]:
    """Read what is committed, through a separate connection (never the app's)."""
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def stored(db: Path, scope: str, field: str):
    rows = query(db, "select value, raw, error from answers where scope = ? and field = ?", (scope, field))
    return rows[0] if rows else None


def journal(db: Path, after: int = 0) -> list[tuple]:
    return query(db, "select seq, scope, field, new, op from journal where seq > ? order by seq", (after,))


def last_seq(db: Path) -> int:
    return query(db, "select coalesce(max(seq), 0) from journal")[0][0]


def all_answers(db: Path) -> list[tuple]:
    return query(db, "select scope, field, value, raw, error from answers order by scope, field")


def live_ids(db: Path, kind: str) -> list[str]:
    return [r[0] for r in query(db, "select id from items where kind = ? and deleted = 0 order by position, id",
                                (kind,))]


def number(item_id: str) -> int:
    return int(item_id.rsplit("-", 1)[1])


def wait_saved(db: Path, scope: str, field: str, value, tmux: Tmux, timeout: float = TIMEOUT):
    """Wait until (scope, field) holds `value`, valid, and its latest journal row says so."""
    def check():
        cell = stored(db, scope, field)
        if cell is None or cell[0] != value or cell[2] is not None:
            return None
        rows = query(db, "select new from journal where scope = ? and field = ? order by seq desc limit 1",
                     (scope, field))
        return cell if rows and rows[0][0] and json.loads(rows[0][0])["value"] == value else None

    deadline = time.monotonic() + timeout
    while not (cell := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"pas dans le fichier après {timeout} s : {scope} {field} = {value!r} "
                                 f"(on y lit {stored(db, scope, field)!r}). Écran :\n{tmux.screen()}")
        time.sleep(0.05)
    return cell


# --- the test -------------------------------------------------------------------


@pytest.fixture
def terminal(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "TMUX", "TMUX_PANE", "CONVERGENCE_DB", "CONVERGENCE_CONFIG",
                        "CONVERGENCE_STATE", "CONVERGENCE_DATA")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               XDG_STATE_HOME=str(home / "state"),
               TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    tmux = Tmux(tmp_path, env)
    try:
        yield tmux
    finally:
        tmux.kill_server()


def search(tmux: Tmux, query_text: str, result: str) -> None:
    """`/`, type, wait until `result` is the first (highlighted) of the filtered list, Entrée."""
    def first_result(screen: str):
        lines = screen.split("\n")
        # the input's text row, its bottom border, the list's top border, then the first option
        return any(f"▊  {query_text}" in line and result in lines[i + 3]
                   for i, line in enumerate(lines[:-3]))

    tmux.keys("/")
    tmux.wait_for("Chercher une question")  # the search input, empty (it takes the focus on mount)
    tmux.type(query_text)
    tmux.wait_until(first_result, f"{result!r} en tête de la recherche {query_text!r}")
    tmux.keys("Enter")


def leave_to_sections(tmux: Tmux) -> None:
    """Escape, then wait until no text field and no grid has the focus: one-letter keys work."""
    tmux.keys("Escape")
    tmux.wait_until(lambda s: "? Aide" in footer(s) and "Niveau 0" not in footer(s), "les sections")


def demo_and_program(tmux: Tmux, db: Path) -> list[str]:
    """A demo campaign made with the CLI, and the command that runs the program on it. The pane's
    command is the program itself (env execs it): pane_pid is the Python process."""
    subprocess.run([sys.executable, "-m", "convergence_tui", "demo", "--db", str(db)],
                   env=tmux.env, check=True, capture_output=True, timeout=120, cwd=db.parent)
    return ["env", "-u", "PYTHONDONTWRITEBYTECODE", f"HOME={tmux.env['HOME']}",
            f"XDG_CONFIG_HOME={tmux.env['XDG_CONFIG_HOME']}", f"XDG_DATA_HOME={tmux.env['XDG_DATA_HOME']}",
            "TERM=xterm-256color", sys.executable, "-m", "convergence_tui", "--db", str(db)]


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
    tmux.wait_focus("Service")  # the form's first field, a select
    added = set(live_ids(db, "blocker")) - set(blockers)
    assert len(added) == 1, added
    blocker = added.pop()
    assert number(blocker) > max(number(b) for b in blockers)
    assert [(r[1], r[2]) for r in journal(db, before)] == [(blocker, "@item")]
    tmux.keys("Tab", "Tab", "Tab")  # service, criterion, origin (selects), then the description
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
        assert _zombie_status(pid) is None  # still running
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
