"""The convergence grid of one service: one key sets a level, the row shows met or gap."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from ..campaign.data import criterion_scope
from ..commands import bindings
from ..messages import Navigate
from ..overview import GridRow, grid_rows
from ..report.format import STATUS_LABELS
from .saving import add_item, save_answer, themed

STATES = {
    "met": ("✓ atteint", "success"),
    "gap": ("✗ écart", "error"),
    "na": ("NA", "text-muted"),
    "missing": ("· à remplir", "warning"),
    "not_due": ("– pas encore dû", "text-muted"),
    "invalid": ("⚠ invalide", "error"),
}
# What decides (level, due, target, state) comes first: at 80 columns the label is what gets cut.
COLUMNS = (("crit", "Critère"), ("level", "Niv."), ("due", "Dû"), ("final", "Cible"), ("state", "État"),
           ("axis", "Axe"), ("label", "Libellé"))


class GridView(Vertical):
    BINDINGS = bindings("grid")
    DEFAULT_CLASSES = "grid-view"

    def __init__(self, session, service_id: str, criterion: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.service_id = service_id
        self.rows: list[GridRow] = []
        self.start_criterion = criterion

    def compose(self) -> ComposeResult:
        yield Static("", id="grid-title", classes="view-title")
        yield DataTable(id="grid-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="grid-details", classes="grid-details", markup=False)

    def on_mount(self) -> None:
        table = self.table
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        self.reload()
        self.focus_criterion(self.start_criterion)

    @property
    def table(self) -> DataTable:
        return self.query_one("#grid-table", DataTable)

    def reload(self) -> None:
        table = self.table
        row = table.cursor_row
        table.clear()
        self.rows = grid_rows(self.session, self.service_id)
        for r in self.rows:
            table.add_row(*self._cells(r), key=r.criterion.id)
        if self.rows:
            table.move_cursor(row=min(row, len(self.rows) - 1))
        self._refresh_title()
        self._refresh_details()

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
        return [crit, level, "–" if r.due is None else str(r.due), "–" if r.final is None else str(r.final),
                themed(self, text, var), c.axis, c.label[:60]]

    def _refresh_title(self) -> None:
        data = self.session.data
        name = data.name_of(self.service_id) or self.service_id
        score = self.session.scores.service(self.service_id)
        category = data.category_of(self.service_id) or "catégorie à choisir"
        status = f" · {STATUS_LABELS[score.status]} N{score.level}" if score else ""
        date = self.session.reference_date.strftime("%d/%m/%Y")
        title = self.query_one("#grid-title", Static)
        title.update(Text.assemble((name, "bold"), f" · {category}{status} · dû au {date}"))

    def current(self) -> GridRow | None:
        if not self.rows:
            return None
        return self.rows[min(self.table.cursor_row, len(self.rows) - 1)]

    def _refresh_details(self) -> None:
        details = self.query_one("#grid-details", Static)
        r = self.current()
        if r is None:
            details.update("Aucun critère : choisissez la catégorie du service dans l'inventaire.")
            return
        c = r.criterion
        levels = ", ".join(map(str, self.session.ref.allowed_levels(c)))
        flags = [f"niveaux {levels}"]
        if c.critical:
            flags.append("critère bloquant ★")
        if c.na_allowed:
            flags.append("NA possible (x)")
        if c.evidence_from is not None:
            flags.append(f"preuve dès le niveau {c.evidence_from} (p)")
        lines = [f"{c.id} — {c.label}", f"Source : {c.source} · " + " · ".join(flags), c.help]
        if r.error:
            lines.append(f"⚠ {r.error}")
        if r.level == "NA":
            lines.append(f"Justification : {r.justification or '⚠ à écrire (x)'}")
        if r.evidence or r.needs_evidence:
            lines.append(f"Preuve : {r.evidence or '⚠ à fournir (p)'}")
        if r.comment:
            lines.append(f"Commentaire : {r.comment}")
        details.update("\n".join(lines))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._refresh_details()

    @property
    def ready(self) -> bool:
        return self.is_mounted and self.table.columns != {}

    def focus_criterion(self, criterion_id: str) -> None:
        for i, r in enumerate(self.rows):
            if r.criterion.id == criterion_id:
                self.table.move_cursor(row=i)
        self.table.focus()

    def _save(self, field: str, raw) -> None:
        r = self.current()
        if r is None:
            return
        result = save_answer(self, criterion_scope(self.service_id, r.criterion.id), field, raw)
        if result is not None:
            self.refresh_row(r.criterion.id)

    def refresh_row(self, criterion_id: str) -> None:
        self.rows = grid_rows(self.session, self.service_id)
        index = next(i for i, r in enumerate(self.rows) if r.criterion.id == criterion_id)
        for (key, _), value in zip(COLUMNS, self._cells(self.rows[index]), strict=True):
            self.table.update_cell(criterion_id, key, value)
        # A level can turn another row's gap into met only through the date, never: one row suffices.
        self._refresh_title()
        self._refresh_details()

    # --- keys --------------------------------------------------------------

    def action_set_level(self, level: int) -> None:
        self._save("level", level)

    def action_not_applicable(self) -> None:
        r = self.current()
        if r is None:
            return
        self._save("level", "NA")
        r = self.current()
        if r is not None and r.level == "NA":
            self._prompt("justification", f"{r.criterion.id} non applicable : pourquoi ?")

    def action_comment(self) -> None:
        self._prompt("comment", "Commentaire")

    def action_evidence(self) -> None:
        self._prompt("evidence", "Preuve (document, audit, certificat, rapport de tests…)")

    def _prompt(self, field: str, title: str) -> None:
        from ..screens.modals import TextPrompt

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
        r = self.current()
        if r is None:
            return
        values = {"service": self.service_id, "criterion": r.criterion.id}
        if kind == "action" and r.final is not None:
            values["target_level"] = r.final if r.state != "gap" or r.due is None else max(r.due, r.final)
        item_id = add_item(self, kind, values)
        if item_id:
            section = self.session.ref.list_section(kind)
            self.post_message(Navigate(section.id, item_id))

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
