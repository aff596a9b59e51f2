"""A repeating part (services, indicators, finance lines, blockers, actions): a table, and the
form of one item when it is opened. Deleting asks first and is journaled (ctrl+z brings it back).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ..ui.commands import bindings, hint, key_label
from ..ui.saving import Saver
from ..ui.theme import themed
from ..usecases.covers import covers_note
from ..usecases.overview import display_value
from ..usecases.writes import AddItem, DeleteItem, SetAnswer, Write
from ..wording import counted
from .fast_table import Column, FastTable
from .form_view import FormView
from .section import Place, SectionView, ViewContext
from .sidebar import fit

# Column widths by question type: every column must show at 80 columns.
COLUMN_WIDTHS = {"service": 22, "covers": 22, "text": 22, "long_text": 22, "date": 10, "choice": 14, "integer": 8,
                 "decimal": 10, "euros": 12, "percent": 6, "level": 5, "criterion": 7, "semester": 7,
                 "yes_no": 4, "category": 10, "item": 22}


class ItemsView(Vertical, SectionView):
    KIND = "list"
    BINDINGS = bindings("list")
    DEFAULT_CLASSES = "items-view"

    def __init__(self, saver: Saver, section, open_on: tuple[str, str] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.open_on = open_on
        self.saver = saver
        self.session = saver.session
        self._marked: dict[str, str] = {}  # item id -> "delete" or "edit", queued and not in the file
        self.section = section
        self.columns = [q for q in section.questions if q.column] or section.questions[:3]
        self.editing: str | None = None

    @classmethod
    def needs(cls, section) -> str:
        # The services come with what scores need; the long lists (blockers, actions…) last.
        return "essential" if section is not None and section.item == "service" else "complete"

    @classmethod
    def build(cls, saver, section, place: Place, context: ViewContext) -> ItemsView:
        open_on = (place.scope, place.field) if place.scope in saver.session.data.items else None
        view = cls(saver, section, open_on=open_on)
        view.section_id = section.id
        return view

    def shows(self) -> set[str]:
        # Its items, the services' names they show, and the items a column of type « item » designates.
        return {self.section.item, "service"} | {q.item for q in self.columns if q.type == "item" and q.item}

    def land(self, place: Place) -> None:
        if place.scope and place.scope in self.session.data.items:
            self.open_item(place.scope, place.field)
        else:
            self.close_editor()
            self.table.focus()

    def here(self) -> tuple[str, str] | None:
        editor = self.editor
        field = editor.focused_field() if editor is not None else None
        if field is not None:
            return field.scope, field.question.id
        current = self.current_id()
        return (current, "") if current else None

    def compose(self) -> ComposeResult:
        yield Static("", id="items-title", classes="view-title")
        columns = [Column("n", "n°", 4), Column("state", "", 3)]
        columns += [Column(q.id, q.label, COLUMN_WIDTHS.get(q.type, 18)) for q in self.columns]
        columns[-1] = Column(columns[-1].key, columns[-1].label, None)
        yield FastTable(columns, self._row_cells, id="items-table")
        yield Static("", id="items-unsaved", classes="unsaved-note", markup=False)
        yield Static(hint("add_item", "edit_item", "delete_item", "focus_sections"), classes="view-hint")

    def on_mount(self) -> None:
        self.query_one("#items-unsaved").display = False
        self.saver.watch(self, self._saves_changed)
        self.reload()
        if self.open_on is not None:
            self.open_item(*self.open_on)
        else:
            self.table.focus()

    @property
    def table(self) -> FastTable:
        return self.query_one("#items-table", FastTable)

    def reload(self) -> None:
        items = self.session.data.live(self.section.item)
        self.table.set_rows([item.id for item in items])
        label = self.section.item_label or "élément"
        self.query_one("#items-title", Static).update(
            Text.assemble((self.section.title, "bold"), f"  {counted(len(items), label)}"))
        self._show_unsaved()

    # --- what is queued, not in the file yet ----------------------------------------

    def _concerns(self, write: Write) -> bool:
        """Whether a write changes this list: an item of its kind added, deleted or edited."""
        if isinstance(write, AddItem):
            return write.kind == self.section.item
        if isinstance(write, DeleteItem):
            item = self.session.data.items.get(write.item_id)
        elif isinstance(write, SetAnswer):
            item = self.session.data.items.get(write.scope)
        else:
            return False
        return item is not None and item.kind == self.section.item

    def _show_unsaved(self) -> set[str]:
        """Say what of this list the file refused for now (a line under the table, a mark on its
        rows); returns the rows whose mark changed."""
        mine = [w for w in self.saver.pending if self._concerns(w)] if self.saver.failing else []
        marked: dict[str, str] = {}
        for w in mine:
            if isinstance(w, DeleteItem):
                marked[w.item_id] = "delete"
            elif isinstance(w, SetAnswer):
                marked.setdefault(w.scope, "edit")
        changed = {k for k in set(marked) | set(self._marked) if marked.get(k) != self._marked.get(k)}
        self._marked = marked
        note = self.query_one("#items-unsaved", Static)
        note.display = bool(mine)
        if mine:
            note.update("⚠ NON ENREGISTRÉ — gardé ici, nouvel essai automatique : "
                        + " · ".join(w.describe(self.session) for w in mine))
        return changed

    def _saves_changed(self, report) -> None:
        done = [w for w, _ in report.done if self._concerns(w)]
        if any(isinstance(w, (AddItem, DeleteItem)) for w in done):
            self.reload()
            return
        for item_id in self._show_unsaved() | {w.scope for w in done if isinstance(w, SetAnswer)}:
            if item_id in self.table.keys:
                self.refresh_item(item_id)

    def _row_cells(self, item_id: str) -> list:
        return self._cells(self.table.get_row_index(item_id) + 1, item_id)

    def _cells(self, n: int, item_id: str) -> list:
        data = self.session.data
        missing = sum(1 for q in self.section.questions if q.required and data.value(item_id, q.id) is None)
        errors = len(data.errors.get(item_id, ()))
        state = themed(self, f"⚠{missing + errors}", "warning") if missing or errors else themed(self, "✓", "success")
        if item_id in self._marked:  # queued, not in the file yet (said under the table)
            state = themed(self, "✗" if self._marked[item_id] == "delete" else "✎", "error", bold=True)
        cells: list = [str(n), state]
        for q in self.columns:
            cell = data.cell(item_id, q.id)
            if cell is not None and cell.error:
                cells.append(themed(self, f"⚠ {cell.raw}", "error"))
            else:
                # Short cells: at 80 columns every column must still show.
                cells.append(fit(display_value(self.session, q, data.value(item_id, q.id)), 24))
        return cells

    def refresh_item(self, item_id: str) -> None:
        self.table.refresh_key(item_id)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        # While an item's form is open, letters belong to its fields, not to the list.
        if action in ("add_item", "edit_item", "delete_item") and self.editing:
            return False
        return not (action in ("add_item", "delete_item") and self.session.readonly)

    def current_id(self) -> str | None:
        return self.table.current_key

    # --- editing -------------------------------------------------------------

    def open_item(self, item_id: str, field: str = "") -> FormView:
        self.close_editor()
        self.editing = item_id
        self.table.display = False
        self.query_one(".view-hint").display = False  # the list's keys do nothing in the form
        # Numbered from the data: the table may not be filled yet when navigation opens an item.
        ids = self.session.data.live_ids(self.section.item)
        n = ids.index(item_id) + 1 if item_id in ids else ""
        title = f"{self.section.title} — {self.section.item_label or 'élément'} n° {n}"
        form = FormView(self.saver, self.section.questions, item_id, title=title,
                        intro="Tout est enregistré au fil de la saisie. "
                        f"{key_label('focus_sections')} : revenir à la liste.",
                        focus_field=field, id="item-editor")
        self.mount(form, before=self.query_one(".view-hint"))
        return form

    def _row_keys(self) -> set[str]:
        return set(self.table.keys)

    def close_editor(self) -> bool:
        editors = self.query("#item-editor")
        if not editors:
            return False
        item_id = self.editing
        editors.remove()
        self.editing = None
        self.table.display = True
        self.query_one(".view-hint").display = True
        if item_id:
            self.refresh_item(item_id)
            if item_id in self._row_keys():
                self.table.move_cursor(row=self.table.get_row_index(item_id))
        self.table.focus()
        return True

    @property
    def editor(self) -> FormView | None:
        found = self.query("#item-editor")
        return found.first(FormView) if found else None

    def on_fast_table_row_selected(self, event: FastTable.RowSelected) -> None:
        event.stop()
        if event.key:
            self.open_item(event.key)

    def action_edit_item(self) -> None:
        item_id = self.current_id()
        if item_id:
            self.open_item(item_id)

    def action_add_item(self) -> None:
        # In the table once saved (_saves_changed); said under it while the file refuses it.
        item_id = self.saver.save(AddItem(self.section.item))
        if item_id:
            self.table.move_cursor(row=self.table.get_row_index(item_id))
            self.open_item(item_id)

    def action_delete_item(self) -> None:
        from .dialogs import Confirm

        item_id = self.current_id()
        if item_id is None:
            return
        n = self.table.get_row_index(item_id) + 1
        what = f"{self.section.item_label or 'élément'} n° {n}"
        name = self.session.data.name_of(item_id)
        dependents = self.session.dependents(item_id)
        detail = f" « {name} »" if name else ""
        attached = counted(len(dependents), "élément rattaché")
        extra = (f"\nAvec lui : {attached} (indicateurs, finances, freins, actions)."
                 if dependents else "")
        extra += covers_note(self.session, item_id)

        def done(yes: bool | None) -> None:
            if yes:
                self.saver.save(DeleteItem(item_id))
            self.table.focus()

        # « cet élément » agrees with every item label (« le action », « le ligne financière » did not).
        self.app.push_screen(Confirm(f"Supprimer cet élément : {what}{detail} ?{extra}\n"
                                     f"{key_label('undo')} pour annuler ensuite."), done)
