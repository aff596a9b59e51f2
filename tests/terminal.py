"""The real program in a real terminal: a tmux server of its own, keys sent, the screen read.

Shared by the end-to-end tests (`tests/test_e2e_*.py`) and the scripted walk-through
(`benchmarks/walkthrough.py`); no pytest here, so that a script can use it as it is.

Synchronisation is always on what the terminal shows (or the file holds), never on fixed sleeps:
the screen text, the footer (it lists the keys of the focused widget) and, for text fields, the
accent colour of the focused control's border (`capture-pane -e`).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

WIDTH, HEIGHT = 100, 32
TIMEOUT = 20.0  # the CI machine is slow: the app takes 1–2 s to start

CRIT = r"[A-Z]{2,4}-\d{2}"
# The view starts at column 31, after the sidebar's edge "▕" at column 30; a toast over the
# sidebar hides that edge (a blank there), never the view.
VIEW = r"^.{30}[▕ ]"
GRID_ROW = re.compile(rf"{VIEW}\s+({CRIT}) [★ ]\s+(\S+)\s", re.M)  # criterion, level cell
GRID_DETAILS = re.compile(rf"{VIEW} ({CRIT}) — ", re.M)  # first line of the details of the current row
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
        # The focused field's border colour, once learnt (`focus_colour`): then a screen showing
        # only two fields still tells which one has the focus.
        self.accent: str | None = None

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
            focused = focused_field(screen, self.accent)
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
            ended = zombie_status(pid)
            if dead == "1" and ended == ("", ""):
                # Reaped between the two reads: tmux, which reaped it, has its status by now.
                dead, status, sig = self.pane("#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}").split("|")
                if status or sig:
                    return status, sig
            if dead == "1" and ended is not None:
                return ended
            if time.monotonic() > deadline:
                raise AssertionError(f"le programme tourne encore (pane_dead={dead}). Écran :\n{self.screen()}")
            time.sleep(0.05)


def zombie_status(pid: int) -> tuple[str, str] | None:
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


def _bar_rows(styled: str) -> dict[str, list[int]]:
    """The rows of each colour of the fields' tall left borders."""
    colours: dict[str, list[int]] = {}
    for i, line in enumerate(styled.split("\n")):
        if "▊" in line and (colour := _bar_colour(line)) is not None:
            colours.setdefault(colour, []).append(i)
    return colours


def _blocks(rows: list[int]) -> int:
    return 1 + sum(1 for a, b in itertools.pairwise(rows) if b != a + 1)


def focus_colour(styled: str) -> str | None:
    """The accent colour of the focused field's border, when the screen tells it apart: the one
    colour whose rows form a single block while the other (blurred) fields form several."""
    colours = _bar_rows(styled)
    single = [c for c, rows in colours.items() if _blocks(rows) == 1]
    several = [c for c, rows in colours.items() if _blocks(rows) > 1]
    return single[0] if len(single) == 1 and several else None


def focused_field(styled: str, accent: str | None = None) -> tuple[str, str] | None:
    """(label, contents) of the focused field. Every control has a tall border; the focused one
    is drawn in the accent colour: `accent` when known (learnt once with `focus_colour`), else the
    one colour whose rows form a single block while the other (blurred) fields form several."""
    lines = styled.split("\n")
    accent = accent or focus_colour(styled)
    rows = _bar_rows(styled).get(accent, []) if accent else []
    if not rows or _blocks(rows) != 1:
        return None
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


# --- a private environment ------------------------------------------------------


def private_env(home: Path) -> dict[str, str]:
    """This process's environment with a home of its own (settings, data folder, backups): the
    person's own campaign, settings and tmux server are never touched."""
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "TMUX", "TMUX_PANE", "CONVERGENCE_DB", "CONVERGENCE_CONFIG",
                        "CONVERGENCE_STATE", "CONVERGENCE_DATA")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               XDG_STATE_HOME=str(home / "state"), TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    return env


@contextmanager
def private_terminal(folder: Path) -> Iterator[Tmux]:
    """A tmux server of its own working in `folder`, with a home in `folder/home`; killed on exit."""
    tmux = Tmux(folder, private_env(folder / "home"))
    try:
        yield tmux
    finally:
        tmux.kill_server()


def program(tmux: Tmux, db: Path) -> list[str]:
    """The command that runs the program on `db` in the private environment. The pane's command
    is the program itself (env execs it): pane_pid is the Python process."""
    return ["env", "-u", "PYTHONDONTWRITEBYTECODE", f"HOME={tmux.env['HOME']}",
            f"XDG_CONFIG_HOME={tmux.env['XDG_CONFIG_HOME']}", f"XDG_DATA_HOME={tmux.env['XDG_DATA_HOME']}",
            f"XDG_STATE_HOME={tmux.env['XDG_STATE_HOME']}",
            "TERM=xterm-256color", sys.executable, "-m", "convergence_tui", "--db", str(db)]


def demo_and_program(tmux: Tmux, db: Path) -> list[str]:
    """A demo campaign made with the CLI, and the command that runs the program on it."""
    subprocess.run([sys.executable, "-m", "convergence_tui", "demo", "--db", str(db)],
                   env=tmux.env, check=True, capture_output=True, timeout=120, cwd=db.parent)
    return program(tmux, db)


# --- keys that several scripts need --------------------------------------------


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
