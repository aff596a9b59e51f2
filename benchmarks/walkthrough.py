"""A regional urbanist's whole job at 80×24, by keys only, every key counted (issue #14).

    python -m benchmarks.walkthrough [--keep DIR]

In a home of its own, the real program runs in tmux at 80×24 on a campaign file that does not
exist yet. Keys alone (tmux send-keys; no SQL, no command line for the answers) take it through
the wizard, the required answers of the forms, three services described in the inventory, every
criterion of their grids (number keys, `x` and its justification, `p` and the evidence), a
blocker and an action for every gap (`n` to the gap, `b`, `a`), the sign-off and a final export
signed with a pilot certificate made beforehand by `convergence keygen` (the one command a pilot
runs). The bundle is then checked by `convergence verify` and `openssl cms -verify`, and what it
holds is compared with what was typed. Every step waits for what the screen shows, never for a
fixed time.

Prints the keys per phase (per criterion rated, per service described…) and exits non-zero when
anything fails: it doubles as an end-to-end check (`tests/test_walkthrough.py`). What the campaign
holds is `benchmarks/walkthrough_scenario.py`.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import walkthrough_scenario as scenario
from benchmarks.walkthrough_checks import check_bundle
from tests.terminal import (
    Tmux,
    focus_colour,
    focused_field,
    footer,
    grid_cursor,
    grid_rows,
    private_terminal,
    program,
    title,
)

WIDTH, HEIGHT = 80, 24
PHASES = {  # phase: what its items are
    "wizard": "campaign created",
    "forms": "answers typed",
    "services": "services described",
    "grid": "criteria rated",
    "plan": "gaps planned (4 causes)",
    "signoff": "sign-off",
    "export": "final export",
}


@dataclass
class Tally:
    """Keys sent, by phase and by kind within it; items done, by phase."""

    keys: Counter = field(default_factory=Counter)  # (phase, kind) → keys
    items: Counter = field(default_factory=Counter)  # phase → items
    seconds: Counter = field(default_factory=Counter)  # phase → wall time
    written: Counter = field(default_factory=Counter)  # blockers and actions written

    def phase_keys(self, phase: str) -> int:
        return sum(n for (p, _), n in self.keys.items() if p == phase)

    def total(self) -> int:
        return sum(self.keys.values())


class Walk:
    """The person at the keyboard: keys sent to the program, counted, each followed by a wait on
    what the screen shows."""

    def __init__(self, tmux: Tmux, db: Path) -> None:
        self.tmux = tmux
        self.db = db  # the campaign file, read (never written) to know a tick is saved
        self.tally = Tally()
        self.phase = ""

    @contextmanager
    def doing(self, phase: str) -> Iterator[None]:
        self.phase, started = phase, time.monotonic()
        try:
            yield
        finally:
            self.tally.seconds[phase] += time.monotonic() - started

    def press(self, *keys: str, kind: str = "") -> None:
        self.tmux.keys(*keys)
        self.tally.keys[(self.phase, kind)] += len(keys)

    def type(self, text: str, kind: str = "") -> None:
        """One key per character, as on a French keyboard (é, ë and the capitals included)."""
        self.tmux.type(text)
        self.tally.keys[(self.phase, kind)] += len(text)

    def screen(self) -> str:
        return self.tmux.screen()

    def wait(self, test, what: str, timeout: float = 20.0) -> str:
        """Wait until `test(screen)` holds; the screen that passed."""
        return self.tmux.wait_until(lambda s: s if test(s) else None, what, timeout)

    def focus(self, label: str, text: str = "") -> None:
        self.tmux.wait_focus(label, text)

    # --- gestures that recur --------------------------------------------------------

    def enter_text(self, label: str, text: str, kind: str = "") -> None:
        """Type into the focused field `label` and wait until it shows the text (a bound key sent
        at once after characters may run before them: Textualize/textual#6605)."""
        self.type(text, kind)
        self.focus(label, text[-30:])

    def replace_text(self, label: str, old: str, text: str, kind: str = "") -> None:
        """Empty the focused field (End, ctrl+u, each awaited) and type `text`."""
        self.press("End", kind=kind)
        self.press("C-u", kind=kind)
        self.tmux.wait_until(lambda s: not _focused_text_has(s, self.tmux.accent, old), f"{label} vidé", styled=True)
        self.enter_text(label, text, kind)

    def pick(self, label: str, choice: scenario.Choice, kind: str = "") -> None:
        """On a focused choice: Entrée, a few letters, the expected option first, Entrée."""
        self.press("Enter", kind=kind)
        self.wait(lambda s: "Filtrer…" in s, "la liste de choix")
        self.type(choice.letters, kind)
        self.wait(lambda s: _first_option(s, choice.letters, choice.option),
                  f"{choice.option!r} en tête pour « {choice.letters} »")
        self.press("Enter", kind=kind)
        self.focus(label, choice.option)


def _focused_text_has(styled: str, accent: str | None, text: str) -> bool:
    found = focused_field(styled, accent)
    return found is not None and text in found[1]


def _first_option(screen: str, letters: str, option: str) -> bool:
    """The picker's filter shows `letters` and its first option starts with `option` (the filter's
    text row, its bottom border, the list's top border, then the first option)."""
    lines = screen.split("\n")
    return any(f"▊  {letters}" in line and f"▊ {option}" in lines[i + 3] for i, line in enumerate(lines[:-3]))


def view_text(screen: str) -> str:
    """What the view (right of the sidebar) says, lines joined: a sentence wrapped at 80 columns
    reads whole."""
    return " ".join(" ".join(line[31:].split()) for line in screen.split("\n")[1:-1])


def sidebar_line(screen: str, section: str) -> str:
    return next((line[:30] for line in screen.split("\n") if section in line[:30]), "")


# --- the job, phase by phase ------------------------------------------------------


def wizard(w: Walk) -> None:
    # The wizard shows several fields, the focused one apart: its border colour is learnt there.
    w.tmux.accent = w.tmux.wait_until(lambda s: "Nouvelle campagne Convergence" in s and focus_colour(s),
                                      "l'assistant, le focus sur la région", styled=True)
    w.focus("Région")
    w.pick("Région", scenario.Choice(scenario.REGION_LETTERS, scenario.REGION))
    w.press("Tab")
    w.focus("GRADeS")
    w.enter_text("GRADeS", scenario.GRADES)
    for label, wanted in (("Campagne", scenario.CAMPAIGN), ("Date de référence", scenario.REFERENCE)):
        w.press("Enter")
        w.focus(label)
        styled = w.tmux.styled()
        if not _focused_text_has(styled, w.tmux.accent, wanted):  # proposed: the current semester
            old = (focused_field(styled, w.tmux.accent) or ("", ""))[1].strip()
            w.replace_text(label, old, wanted)
    w.press("Enter")
    w.focus("Votre nom")
    w.enter_text("Votre nom", scenario.AUTHOR)
    w.press("C-s")
    w.wait(lambda s: "Reprendre là où" in s and "enregistré" in s, "l'accueil de la nouvelle campagne")
    w.tally.items["wizard"] += 1


def forms(w: Walk) -> None:
    """Section 1's required answers the wizard did not ask (`n` goes to each), and the delegate."""
    w.press("n")
    w.focus("Agence régionale de santé")
    w.enter_text("Agence régionale de santé", scenario.ARS)
    w.press("Enter")
    w.wait(lambda s: "1 ⚠" in sidebar_line(s, "Acteur régional"), "l'ARS enregistrée")
    w.press("Escape")
    w.wait(lambda s: "n À compléter" in footer(s), "les touches à une lettre")
    w.press("n")
    w.focus("SIRET du GRADeS")
    w.enter_text("SIRET du GRADeS", scenario.SIRET)
    w.press("Enter")
    w.wait(lambda s: "✓" in sidebar_line(s, "Acteur régional"), "le SIRET enregistré")
    w.press("Tab")
    w.focus("Responsable délégué(e)")
    w.enter_text("Responsable délégué(e)", scenario.DELEGATE)
    w.press("Enter")
    w.press("Escape")
    w.wait(lambda s: "n À compléter" in footer(s), "les touches à une lettre")
    w.tally.items["forms"] += 3


def services(w: Walk) -> None:
    w.press("3")
    w.wait(lambda s: "Inventaire des services  0 service" in s and "a Ajouter" in footer(s), "l'inventaire vide")
    for n, svc in enumerate(scenario.SERVICES, 1):
        w.press("a")
        w.wait(lambda s, n=n: f"service n° {n}" in s, f"le service n° {n}")
        w.focus("Nom du service")
        w.enter_text("Nom du service", svc.name)
        w.press("Tab")
        w.focus("Catégorie")
        w.pick("Catégorie", svc.category_choice)
        w.press("Tab")
        w.focus("Statut")
        w.pick("Statut", svc.status)
        w.press("Escape")
        w.wait(lambda s, n=n, svc=svc: f"Inventaire des services  {n} service" in s and svc.name in s
               and "a Ajouter" in footer(s), f"{svc.name} dans l'inventaire")
        w.tally.items["services"] += 1


def grids(w: Walk, ref) -> None:
    """Section 4, then `.` from one service's grid to the next, rated in the order they come."""
    w.press("4")
    rated: set[str] = set()
    while True:
        screen = w.wait(lambda s: grid_cursor(s) is not None and _service_shown(s) is not None, "une grille")
        svc = _service_shown(screen)
        if svc.name in rated:
            raise AssertionError(f"`.` revient à {svc.name} avant les {len(scenario.SERVICES)} grilles")
        rate(w, svc, list(ref.candidates(svc.category)))
        rated.add(svc.name)
        if len(rated) == len(scenario.SERVICES):
            return
        w.press(".", kind="move")
        w.wait(lambda s, name=svc.name: not title(s).startswith(name[:20]), "la grille suivante")


def _service_shown(screen: str) -> scenario.Service | None:
    return next((svc for svc in scenario.SERVICES if title(screen).startswith(f"{svc.name} · ")), None)


def rate(w: Walk, svc: scenario.Service, criteria) -> None:
    order = [c.id for c in criteria]
    if grid_cursor(w.screen()) != order[0]:
        w.press("Home", kind="move")
    for i, c in enumerate(criteria):
        following = order[i + 1] if i + 1 < len(order) else c.id
        w.wait(lambda s, cid=c.id: grid_cursor(s) == cid, f"{c.id} de {svc.name} en détail")
        level = scenario.level_for(svc, c)
        if level == "NA":
            w.press("x", kind="level")
            _text_dialog(w, f"{c.id} non applicable", svc.na[c.id], c.id, "NA")
            if following != c.id:  # NA leaves the cursor on the row, a level key moves on
                w.press("Down", kind="move")
        else:
            w.press(str(level), kind="level")
            screen = w.wait(lambda s, cid=c.id, f=following, lv=str(level): grid_cursor(s) == f
                            and dict(grid_rows(s)).get(cid, "").rstrip("!") == lv,
                            f"{c.id} à {level}, le curseur sur {following}")
            flagged = dict(grid_rows(screen))[c.id].endswith("!")
            if flagged != scenario.needs_evidence(c, level):
                raise AssertionError(f"{c.id} à {level} : preuve demandée à l'écran = {flagged}, "
                                     f"selon le questionnaire = {not flagged}")
            if flagged:
                if following != c.id:
                    w.press("Up", kind="move")
                    w.wait(lambda s, cid=c.id: grid_cursor(s) == cid, f"retour sur {c.id}")
                w.press("p", kind="text")
                _text_dialog(w, f"{c.id} — Preuve", scenario.EVIDENCE[c.id], c.id, str(level))
                if following != c.id:
                    w.press("Down", kind="move")
        w.tally.items["grid"] += 1
    w.wait(lambda s: grid_cursor(s) == order[-1], f"la fin de la grille de {svc.name}")


def _text_dialog(w: Walk, heading: str, text: str, cid: str, cell: str) -> None:
    """A justification or evidence dialog: its heading, the text typed, ctrl+s, the row updated."""
    w.wait(lambda s: heading in s, heading)
    w.type(text, kind="text")
    w.wait(lambda s: text in s, f"« {text} » dans le dialogue")
    w.press("C-s", kind="text")
    w.wait(lambda s: heading not in s and dict(grid_rows(s)).get(cid) == cell, f"{cid} à {cell}, sans « ! »")


def plan(w: Walk, ref) -> None:
    """`n` goes to the next gap without a blocker or an action; `b` there opens the blocker's form
    with that gap ticked, the other gaps of its cause are ticked too (↓ to each, space), and échap
    comes back to the gap, where `a` does the same for the action. Each cause is named once."""
    named: set[int] = set()  # causes given their blocker and action, by index
    numbers = {"blocker": 0, "action": 0}
    while len(named) < len(scenario.CAUSES):
        w.press("n", kind="move")
        # The grid on a gap of a cause not named yet (the screen before `n` shows none).
        screen = w.wait(lambda s: (svc := _service_shown(s)) is not None and grid_cursor(s) in svc.gaps
                        and scenario.CAUSES.index(svc.gaps[grid_cursor(s)].cause) not in named
                        and "a Action" in footer(s), "un écart d'une cause pas encore nommée")
        svc, cid = _service_shown(screen), grid_cursor(screen)
        assert svc is not None and cid is not None
        cause = svc.gaps[cid].cause
        for kind in ("blocker", "action"):
            numbers[kind] += 1
            covering(w, kind, numbers[kind], svc, cid, cause)
        named.add(scenario.CAUSES.index(cause))
        w.tally.items["plan"] += len(scenario.gaps_of(cause))


def covering(w: Walk, kind: str, n: int, svc: scenario.Service, cid: str, cause: scenario.Cause) -> None:
    """A blocker or an action from the gap `cid` of `svc`, covering every gap of its cause."""
    w.press("b" if kind == "blocker" else "a", kind=kind)
    w.tally.written[kind] += 1
    noun = "frein" if kind == "blocker" else "action"
    w.wait(lambda s: f"{noun} n° {n}" in s and "g Groupe" in footer(s), f"{noun} n° {n}, ses écarts")
    tick_others(w, kind, svc, cid, cause)
    if kind == "blocker":
        w.press("Tab", kind=kind)
        w.focus("Origine du frein")
        w.pick("Origine du frein", cause.origin, kind=kind)
        w.press("Tab", kind=kind)
        w.focus("Description")
        w.type(cause.blocker, kind=kind)
        w.focus("Description", cause.blocker[:20])
        back_to_the_gap(w, kind, svc, cid)
        return
    w.press("Tab", kind=kind)
    w.focus("Action")
    w.enter_text("Action", cause.action, kind=kind)
    w.press("Tab", kind=kind)
    w.focus("Niveau visé", "4 —")  # pre-filled with the final target
    w.press("Tab", kind=kind)
    w.focus("Échéance")
    w.enter_text("Échéance", cause.due, kind=kind)
    w.press("Tab", kind=kind)
    w.focus("Porteur")
    w.pick("Porteur", cause.owner, kind=kind)
    w.press("Tab", kind=kind)
    w.focus("Statut")
    w.pick("Statut", cause.status, kind=kind)
    back_to_the_gap(w, kind, svc, cid)


def back_to_the_gap(w: Walk, kind: str, svc: scenario.Service, cid: str) -> None:
    """Échap closes a form opened from the grid and comes back to the gap it was made for."""
    w.press("Escape", kind=kind)
    w.wait(lambda s: _service_shown(s) is svc and grid_cursor(s) == cid and "a Action" in footer(s),
           f"retour à l'écart {cid} de {svc.name}")


def tick_others(w: Walk, kind: str, svc: scenario.Service, cid: str, cause: scenario.Cause) -> None:
    """In the list of the campaign's gaps (in the program's order), ↓ to each other gap of the cause
    and space; each tick is in the file before the next key."""
    order = scenario.gap_order()
    others = sorted(order.index((s.name, c)) for s, c in scenario.gaps_of(cause) if (s.name, c) != (svc.name, cid))
    if not others:
        return
    w.press("Home", kind="tick")
    at = 0
    for target in others:
        w.press(*["Down"] * (target - at), kind="tick")
        w.press("Space", kind="tick")
        at = target
        name, criterion = order[target]
        w.wait(lambda _s, name=name, criterion=criterion: (name, criterion) in newest_covers(w.db, kind),
               f"{criterion} de {name} coché")


def newest_covers(db: Path, kind: str) -> set[tuple[str, str]]:
    """The gaps the newest blocker or action covers, by service name, as the file holds them."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute("select value from answers where field = 'covers' and scope = (select id from items "
                           "where kind = ? order by position desc limit 1)", [kind]).fetchone()
        names = dict(conn.execute("select scope, value from answers where field = 'name'").fetchall())
    finally:
        conn.close()
    return {(names.get(s, s), c) for s, c in json.loads(row[0])} if row and row[0] else set()


def signoff(w: Walk) -> None:
    w.press("9")
    screen = w.wait(lambda s: "Nom du responsable" in s and "Valider la campagne" in s, "la validation")
    if "Encore à compléter" in view_text(screen):
        raise AssertionError(f"la validation dit qu'il manque encore quelque chose :\n{screen}")
    name = _field_below(screen, "Nom du responsable")
    if scenario.DELEGATE in name:  # pre-filled with section 1's delegate: only the role to type
        w.press("BTab")
    else:  # pre-filled with someone else (the file's author): the name to replace
        w.press("BTab")
        w.focus("Fonction")
        w.press("BTab")
        w.focus("Nom du responsable", name)
        w.replace_text("Nom du responsable", name, scenario.DELEGATE)
        w.press("Tab")
    w.focus("Fonction")
    w.enter_text("Fonction", scenario.ROLE)
    w.press("C-s")
    w.wait(lambda s: "la validation couvre l'état actuel" in view_text(s), "la validation enregistrée")
    w.tally.items["signoff"] += 1


def _field_below(screen: str, label: str) -> str:
    """The text of the field under `label` (its top border, then its text row)."""
    lines = screen.split("\n")
    i = next(i for i, line in enumerate(lines) if label in line)
    return lines[i + 2][31:].strip(" ▊▎")


def export(w: Walk, folder: Path) -> Path:
    w.press("e")
    w.focus("Certificat de signature")
    screen = w.screen()
    if "soumission définitive" not in view_text(screen) and "▐X▌" in screen:
        raise AssertionError(f"l'export proposé est un brouillon :\n{screen}")
    w.enter_text("Certificat de signature", scenario.P12)
    w.press("Enter")
    w.focus("Mot de passe")
    w.type(scenario.PASSWORD)
    w.focus("Mot de passe", "•" * len(scenario.PASSWORD))
    w.press("Enter")
    outcome = w.wait(lambda s: "Paquet écrit" in s or re.search(r"⚠ .*Rien n'a été écrit", view_text(s)),
                     "le paquet écrit", timeout=90)
    if "Paquet écrit" not in outcome:
        raise AssertionError(f"l'export a échoué :\n{outcome}")
    w.press("Escape")
    w.wait(lambda s: "Mot de passe du certificat" not in s, "le dialogue d'export fermé")
    w.tally.items["export"] += 1
    bundles = sorted((folder / "exports").glob("*.zip"))
    if len(bundles) != 1:
        raise AssertionError(f"un paquet attendu dans exports/, trouvé : {[b.name for b in bundles]}")
    return bundles[0]


# --- the run ----------------------------------------------------------------------


@dataclass
class Result:
    tally: Tally
    bundle: Path
    verdict: str  # what `convergence verify` printed
    seconds: float


def walk(folder: Path) -> Result:
    """The whole job in `folder` (empty or new); raises AssertionError on the first thing that fails."""
    from convergence_tui.referentiel import load

    ref = load()
    started = time.monotonic()
    with private_terminal(folder) as tmux:
        keygen = subprocess.run([sys.executable, "-m", "convergence_tui", "keygen", "--out", scenario.P12,
                                 "--name", scenario.SIGNER], cwd=folder, capture_output=True, text=True,
                                env={**tmux.env, "CONVERGENCE_P12_PASSWORD": scenario.PASSWORD}, timeout=60)
        if keygen.returncode != 0:
            raise AssertionError(f"keygen : {keygen.stderr}")
        w = Walk(tmux, folder / "c.sqlite")
        tmux.start(program(tmux, Path("c.sqlite")), width=WIDTH, height=HEIGHT)
        pid = int(tmux.pane("#{pane_pid}"))
        for phase, step in (("wizard", lambda: wizard(w)), ("forms", lambda: forms(w)),
                            ("services", lambda: services(w)), ("grid", lambda: grids(w, ref)),
                            ("plan", lambda: plan(w, ref)), ("signoff", lambda: signoff(w))):
            with w.doing(phase):
                step()
        with w.doing("export"):
            bundle = export(w, folder)
            w.press("C-q")
            status = tmux.wait_exit(pid)
            if status != ("0", ""):
                raise AssertionError(f"le programme s'est terminé avec {status}")
    verdict = check_bundle(bundle, folder / scenario.P12.replace(".p12", ".pem"), ref)
    return Result(w.tally, bundle, verdict, time.monotonic() - started)


def report(result: Result) -> None:
    t = result.tally
    print(f"{'phase':<34}{'keys':>7}{'items':>7}{'keys/item':>11}{'time':>8}")
    for phase, items in PHASES.items():
        keys, n = t.phase_keys(phase), t.items[phase]
        print(f"{phase + ' (' + items + ')':<34}{keys:>7}{n:>7}{keys / n if n else 0:>11.1f}"
              f"{t.seconds[phase]:>7.1f}s")
        for (p, kind), k in sorted(t.keys.items()):
            if p == phase and kind:
                print(f"  {kind:<32}{k:>7}")
    print(f"{'total':<34}{t.total():>7}{'':>7}{'':>11}{result.seconds:>7.1f}s")
    print(f"plan: {t.written['blocker']} blockers and {t.written['action']} actions written for "
          f"{t.items['plan']} gaps")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="folder to keep the campaign, the certificate and the bundle in")
    args = parser.parse_args(argv)
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        print(f"{args.keep} n'est pas vide.", file=sys.stderr)
        return 2
    folder = args.keep or Path(tempfile.mkdtemp(prefix="convergence-walk-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        result = walk(folder.resolve())
    except AssertionError as failure:
        print(f"ÉCHEC : {failure}\n(dossier gardé : {folder})", file=sys.stderr)
        return 1
    report(result)
    print(f"\n{result.verdict}\nbundle: {result.bundle}")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
