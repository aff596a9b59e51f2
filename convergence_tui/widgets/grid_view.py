"""The convergence grid of one service: one key sets a level, the row shows met or gap."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ..campaign.data import criterion_scope, split_criterion_scope
from ..ui.commands import bindings, key_label
from ..ui.messages import Navigate
from ..ui.saving import Saver
from ..ui.theme import themed
from ..usecases.explain import level_meanings, status_reason
from ..usecases.overview import GridRow, grid_rows
from ..usecases.writes import FIELD_WORDS, AddItem, SetAnswer
from ..wording import date_fr
from .fast_table import Column, FastTable
from .section import Place, SectionView, ViewContext

STATES = {
    "met": ("✓ atteint", "success"),
    "gap": ("✗ écart", "error"),
    "na": ("NA", "text-muted"),
    "missing": ("· à remplir", "warning"),
    "not_due": ("– pas encore dû", "text-muted"),
    "invalid": ("⚠ invalide", "error"),
    "unsaved": ("NON ENREGISTRÉ", "error"),  # a value the file refused for now, retried
}
SHOWN_FIELDS = ("level", "comment", "evidence", "justification")
# What decides (level, due, target, state) comes first: at 80 columns the label is what gets cut.
COLUMNS = (Column("crit", "Critère", 8), Column("level", "Niv.", 4), Column("due", "Dû", 2),
           Column("final", "Cible", 5), Column("state", "État", 15), Column("axis", "Axe", 3),
           Column("label", "Libellé"))


EDIT_ACTIONS = {"set_level", "not_applicable", "comment", "evidence", "new_blocker", "new_action"}


WHY_LINES = 2  # the height of the line under the title (main.tcss .grid-why)


class GridView(Vertical, SectionView):
    KIND = "grid"
    BINDINGS = bindings("grid")
    DEFAULT_CLASSES = "grid-view"

    @classmethod
    def build(cls, saver: Saver, section, place: Place, context: ViewContext) -> GridView:
        sid = cls._service_for(saver.session, place, context.service)
        crit = split_criterion_scope(place.scope) if place.scope else None
        start = crit[1] if crit else (place.field if place.field in saver.session.ref.criteria_by_id else "")
        view = cls(saver, sid, start)
        view.section_id = section.id
        view.advance = context.advance
        return view

    @staticmethod
    def _service_for(session, place: Place, current: str | None) -> str | None:
        """The service a place names (its own scope or a criterion's), else the one shown last, else the
        first of the inventory; None when there is no service."""
        crit = split_criterion_scope(place.scope) if place.scope else None
        live = session.data.live_ids("service")
        for sid in (crit[0] if crit else place.scope, current):
            if sid and sid in live:
                return sid
        return next(iter(live), None)

    def land(self, place: Place) -> None:
        sid = self._service_for(self.session, place, self.service_id)
        if sid is not None and sid != self.service_id:  # same widgets, other rows: no remount, no reflow
            self.show_service(sid)
        crit = split_criterion_scope(place.scope) if place.scope else None
        self.focus_criterion(crit[1] if crit else (place.field if place.field in self.session.ref.criteria_by_id
                                                   else ""))

    def here(self) -> tuple[str, str] | None:
        row = self.current()
        return (criterion_scope(self.service_id, row.criterion.id), "level") if row and self.service_id else None

    def service(self) -> str | None:
        return self.service_id

    def __init__(self, saver: Saver, service_id: str | None, criterion: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.saver = saver
        self.session = saver.session
        self.service_id = service_id
        self.rows: list[GridRow] = []
        self._by_id: dict[str, GridRow] = {}
        self._unsaved: dict[str, set[str]] = {}  # criterion -> its fields queued, not in the file yet
        self.start_criterion = criterion
        self.advance = True  # to the next criterion after a level key (setting grid_advance)

    def compose(self) -> ComposeResult:
        yield Static("", id="grid-title", classes="view-title")
        yield Static("", id="grid-why", classes="grid-why", markup=False)
        yield FastTable(COLUMNS, self._row_cells, id="grid-table")
        yield Static("", id="grid-details", classes="grid-details", markup=False)

    def on_mount(self) -> None:
        self.saver.watch(self, self._saves_changed)
        self.reload()
        self.focus_criterion(self.start_criterion)

    def show_service(self, service_id: str) -> None:
        self.service_id = service_id
        self.table.move_cursor(row=0)
        self.reload()

    @property
    def table(self) -> FastTable:
        return self.query_one("#grid-table", FastTable)

    def reload(self) -> None:
        self._read_rows()
        self.table.set_rows([r.criterion.id for r in self.rows])
        self._refresh_title()
        self._refresh_details()

    def _row_cells(self, criterion_id: str) -> list:
        return self._cells(self._by_id[criterion_id])

    def _cells(self, r: GridRow) -> list:
        c = r.criterion
        crit = Text(c.id) + (themed(self, " ★", "warning") if c.critical else Text("  "))
        if r.error:
            level = themed(self, f"⚠{r.raw}", "error")
        elif r.level is None:
            level = Text("·")
        else:
            level = Text(str(r.level), style="bold")
        if r.needs_evidence or (r.level == "NA" and not r.justification):
            level.append("!", style=self.app.theme_variables.get("warning", ""))
        text, var = STATES[r.state]
        if r.state == "unsaved":
            level.stylize(f"reverse {self.app.theme_variables.get('error', '')}")
        return [crit, level, "–" if r.due is None else str(r.due), "–" if r.final is None else str(r.final),
                themed(self, text, var), c.axis, c.label[:60]]

    def _refresh_title(self) -> None:
        why = self.query_one("#grid-why", Static)
        if self.service_id is None:
            self.query_one("#grid-title", Static).update("Aucun service : ajoutez-en dans l'inventaire des services.")
            why.update("")
            return
        # Why the service is at its level, where the level is shown (which criterion, which figure).
        why.update(self._why(why.content_region.width or 48))
        data = self.session.data
        name = data.name_of(self.service_id) or self.service_id
        category = data.category_of(self.service_id) or "catégorie à choisir"
        date = date_fr(self.session.reference_date)
        title = self.query_one("#grid-title", Static)
        # The status and level are said on the next line, with why.
        title.update(Text.assemble((name, "bold"), f" · {category} · dû au {date}"))

    def on_resize(self) -> None:
        if self.service_id is not None:  # the reason fits the new width
            self._refresh_title()

    def _why(self, width: int) -> str:
        """The reason of the level in the line's two rows: as many criteria named as fit (the whole
        sentence is in the criterion's reading, `i`)."""
        import textwrap

        assert self.service_id is not None
        for limit in (3, 2, 1, 0):
            text = status_reason(self.session, self.service_id, limit=limit)
            if len(textwrap.wrap(text, width)) <= WHY_LINES:
                break
        return text

    def current(self) -> GridRow | None:
        if not self.rows:
            return None
        return self.rows[min(self.table.cursor_row, len(self.rows) - 1)]

    def row(self, criterion_id: str) -> GridRow:
        """A criterion's row as shown (its level, state) wherever the cursor is."""
        return self._by_id[criterion_id]

    def _refresh_details(self) -> None:
        details = self.query_one("#grid-details", Static)
        r = self.current()
        if r is None:
            details.update("" if self.service_id is None else
                           "Aucun critère : choisissez la catégorie du service dans l'inventaire.")
            return
        c = r.criterion
        levels = ", ".join(map(str, self.session.ref.allowed_levels(c)))
        flags = [f"niveaux {levels}"]
        if c.critical:
            flags.append("critère bloquant ★")
        if c.na_allowed:
            flags.append(f"NA possible ({key_label('not_applicable')})")
        if c.evidence_from is not None:
            flags.append(f"preuve dès le niveau {c.evidence_from} ({key_label('evidence')})")
        # What the levels that decide mean (the criterion's own words), then where to read it all.
        meanings = level_meanings(c)
        lines = [f"{c.id} — {c.label}"]
        if r.state == "gap":  # its cause and its action first: in view at 80×24
            lines += self._plan_lines(c.id)
        if isinstance(r.level, int) and r.level in meanings:
            lines.append(f"Niveau {r.level} : {meanings[r.level]}")
        if r.due is not None and r.due != r.level and r.due in meanings:
            lines.append(f"Dû {r.due} : {meanings[r.due]}")
        lines.append(f"Source : {c.source} · " + " · ".join(flags) + f" · {key_label('criterion_info')} : tout "
                     "le critère")
        unsaved = self._unsaved.get(c.id)
        if unsaved:
            names = ", ".join(FIELD_WORDS[f] for f in SHOWN_FIELDS if f in unsaved)
            lines.append(f"⚠ NON ENREGISTRÉ ({names}) : gardé ici, nouvel essai automatique.")
        if r.error:
            lines.append(f"⚠ {r.error}")
        if r.level == "NA":
            todo = f"⚠ à écrire ({key_label('not_applicable')})"
            lines.append(f"Justification : {r.justification or todo}")
        if r.evidence or r.needs_evidence:
            todo = f"⚠ à fournir ({key_label('evidence')})"
            lines.append(f"Preuve : {r.evidence or todo}")
        if r.comment:
            lines.append(f"Commentaire : {r.comment}")
        lines.append(c.help.split("\n\n")[0])  # the question the criterion asks
        details.update("\n".join(lines))

    def _plan_lines(self, criterion_id: str) -> list[str]:
        """A gap's cause and action in one line, as their lists number them (« Frein : n° 3 (42 écarts) ·
        Action : n° 3 »): in view at 80×24; their texts are in their lists (7, 8) and the review."""
        from ..usecases.covers import covering

        found = covering(self.session, self.service_id or "", criterion_id)
        data = self.session.data
        parts = []
        for kind, word, key in (("blocker", "Frein", "new_blocker"), ("action", "Action", "new_action")):
            numbers = data.live_ids(kind)
            said = ", ".join(f"n° {numbers.index(i) + 1}" + (f" ({n} écarts)" if (n := len(data.covers_of(i))) > 1
                                                              else "") for i in found[kind] if i in numbers)
            parts.append(f"{word} : {said or f'⚠ aucun ({key_label(key)})'}")
        return [" · ".join(parts)]

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        # Read-only review: the keys that change answers are off (and leave the footer).
        return not (self.session.readonly and action in EDIT_ACTIONS)

    def on_fast_table_row_highlighted(self, event: FastTable.RowHighlighted) -> None:
        event.stop()
        self._refresh_details()

    def focus_criterion(self, criterion_id: str) -> None:
        for i, r in enumerate(self.rows):
            if r.criterion.id == criterion_id:
                self.table.move_cursor(row=i)
        self.table.focus()

    def _save(self, field: str, raw) -> None:
        r = self.current()
        if r is None:
            return
        # Saved or queued, the row shows it (see _saves_changed).
        self.saver.save(SetAnswer(criterion_scope(self.service_id, r.criterion.id), field, raw))

    def refresh_rows(self, criteria: set[str]) -> None:
        self._read_rows()
        # A level changes only its own row's state (due levels depend on the date, not on answers).
        for criterion_id in criteria:
            if criterion_id in self._by_id:
                self.table.refresh_key(criterion_id)
        self._refresh_title()
        self._refresh_details()

    def _read_rows(self) -> None:
        """The rows as stored, with what is queued and not in the file yet shown in their place."""
        self._unsaved = {}
        if self.service_id is None:
            self.rows, self._by_id = [], {}
            return
        prefix = f"{self.service_id}/"
        for w in self.saver.pending:
            if isinstance(w, SetAnswer) and w.scope.startswith(prefix) and w.field in SHOWN_FIELDS:
                self._unsaved.setdefault(w.scope[len(prefix):], set()).add(w.field)
        rows = grid_rows(self.session, self.service_id)
        if self._unsaved:
            rows = [self._as_shown(r) for r in rows]
        self.rows = rows
        self._by_id = {r.criterion.id: r for r in self.rows}

    def _as_shown(self, r: GridRow) -> GridRow:
        fields = self._unsaved.get(r.criterion.id)
        if not fields:
            return r
        scope = criterion_scope(self.service_id, r.criterion.id)
        shown = {f: self.saver.shown_cell(scope, f) for f in fields}
        changes = {f: (c.value if c is not None else None) or "" for f, c in shown.items() if f != "level"}
        if "level" in shown:
            cell = shown["level"]
            changes.update(level=cell.value if cell else None, raw=cell.raw if cell else None,
                           error=cell.error if cell else None)
        return replace(r, state="unsaved", **changes)

    def _saves_changed(self, report) -> None:
        """Rows whose queued values changed or reached the file are drawn again."""
        prefix = f"{self.service_id}/"

        def rows_of(writes) -> set[str]:
            return {w.scope[len(prefix):] for w in writes
                    if isinstance(w, SetAnswer) and w.scope.startswith(prefix) and w.field in SHOWN_FIELDS}

        rows = set(self._unsaved) | rows_of(self.saver.pending) | rows_of(w for w, _ in report.done)
        if rows:
            self.refresh_rows(rows)

    # --- keys --------------------------------------------------------------

    def action_set_level(self, level: int) -> None:
        r = self.current()
        if r is None:
            return
        allowed = self.session.ref.allowed_levels(r.criterion)
        if level not in allowed:
            # A key the criterion does not take is said and changes nothing: replacing a valid level
            # by an invalid one would lose what was there for a mistyped key.
            self.notify(f"{r.criterion.id} n'admet pas le niveau {level} (niveaux possibles : "
                        f"{', '.join(map(str, allowed))}) : rien n'a changé.", severity="warning")
            return
        self._save("level", level)
        if self.advance:  # rating a grid is one key per criterion
            if self.table.cursor_row >= len(self.rows) - 1:
                # Nothing below: the next level key would rate this criterion again. Said once it is rated.
                self.notify(f"{r.criterion.id} noté {level} : dernier critère de ce service ; "
                            f"{key_label('next_service')} pour le service suivant.", severity="information")
            self.table.action_cursor(1)

    def action_not_applicable(self) -> None:
        """NA with its justification, or nothing: the level is saved only once the reason is written
        (échap leaves the criterion as it was)."""
        r = self.current()
        if r is None:
            return
        c = r.criterion
        if not c.na_allowed:
            self.notify(f"{c.id} ne peut pas être déclaré non applicable : choisissez un niveau ; rien n'a "
                        "changé.", severity="warning")
            return
        from .dialogs import TextPrompt

        scope = criterion_scope(self.service_id, c.id)

        def done(text: str | None) -> None:
            if text is not None and text.strip():
                self.saver.save(SetAnswer(scope, "level", "NA"))
                self.saver.save(SetAnswer(scope, "justification", text))
            elif text is not None:
                self.notify("Sans justification, le critère reste comme il était.", severity="warning")
            self.table.focus()

        self.app.push_screen(TextPrompt(f"{c.id} non applicable : pourquoi ?", r.justification), done)

    def action_criterion_info(self) -> None:
        from .dialogs import Reading

        r = self.current()
        if r is not None:
            c = r.criterion
            meanings = level_meanings(c)
            scale = self.session.ref.scale.labels
            levels = "\n".join(f"  {n} — {meanings.get(n, scale[n] if n < len(scale) else '')}"
                               for n in self.session.ref.allowed_levels(c))
            targets = ", ".join(f"{t.level} au {t.date:%d/%m/%Y}" for t in c.targets) or "aucune"
            name = self.session.data.name_of(self.service_id or "") or ""
            text = (f"{c.label}\n\nSource : {c.source}\nNiveaux :\n{levels}\nCibles : {targets}"
                    + ("\nCritère bloquant ★" if c.critical else "") + f"\n\n{c.help}"
                    + f"\n\n« {name} » : {status_reason(self.session, self.service_id or '')}")
            self.app.push_screen(Reading(f"{c.id} — {c.axis}", text))

    def action_comment(self) -> None:
        self._prompt("comment", "Commentaire")

    def action_evidence(self) -> None:
        self._prompt("evidence", "Preuve (document, audit, certificat, rapport de tests…)")

    def _prompt(self, field: str, title: str) -> None:
        from .dialogs import TextPrompt

        r = self.current()
        if r is None:
            return
        current = getattr(r, field)

        def done(text: str | None) -> None:
            if text is not None:
                self._save(field, text)
            self.table.focus()

        self.app.push_screen(TextPrompt(f"{r.criterion.id} — {title}", current), done)

    def _from_gap(self, kind: str) -> None:
        from ..usecases.covers import new_item_values

        r = self.current()
        if r is None:
            return
        if r.state != "gap":  # else a hidden entry: the checklist only lists gaps, so it could not be unticked
            what = "un frein" if kind == "blocker" else "une action"
            self.notify(f"{r.criterion.id} n'est pas un écart ici ({STATES.get(r.state, (r.state,))[0]}) : "
                        f"{what} se décrit sur une ligne « ✗ écart ». Rien n'a été créé.", severity="warning")
            return
        values = new_item_values(self.session, kind, [(self.service_id or "", r.criterion.id)])
        item_id = self.saver.save(AddItem(kind, values))
        if item_id:
            section = self.session.ref.list_section(kind)
            grid = next(s.id for s in self.session.ref.sections if s.kind == "grid")
            self.post_message(Navigate(section.id, item_id, back=(grid, criterion_scope(self.service_id or "",
                                                                                          r.criterion.id), "level")))

    def action_new_blocker(self) -> None:
        self._from_gap("blocker")

    def action_new_action(self) -> None:
        self._from_gap("action")

    def _step_service(self, step: int) -> None:
        ids = self.session.data.live_ids("service")
        if self.service_id in ids and ids:
            target = ids[(ids.index(self.service_id) + step) % len(ids)]
            self.post_message(Navigate(self.session.ref.sections[self._grid_index()].id, target))

    def _grid_index(self) -> int:
        return next(i for i, s in enumerate(self.session.ref.sections) if s.kind == "grid")

    def action_next_service(self) -> None:
        self._step_service(1)

    def action_previous_service(self) -> None:
        self._step_service(-1)
