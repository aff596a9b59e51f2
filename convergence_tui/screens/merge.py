"""Fusion (`m`): bring a teammate's copy in, then go through the conflicts — both values side by side,
who and when — and keep ours, take theirs or write a third. Every resolution is a journaled change
(usecases/merging.py); nothing here touches the file."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from ..errors import UserError
from ..ui.commands import bindings, hint, key_label
from ..usecases.conflicts import ConflictRow, conflict_rows, resolve
from ..usecases.merging import merge, merged_summary
from ..widgets.dialogs import PathPrompt, TextPrompt
from ..widgets.fast_table import Column, FastTable
from ..widgets.keybar import KeyBar
from ..wording import counted


class MergeScreen(Screen[bool]):
    """Dismissed with True when the campaign changed (the main screen redraws what it shows)."""

    BINDINGS = bindings("merge")
    DEFAULT_CSS = """
    MergeScreen #merge-head { height: 2; padding: 0 1; }
    MergeScreen #merge-table { height: 1fr; min-height: 4; }
    MergeScreen #merge-details { height: 9; padding: 0 1; border-top: solid $primary; }
    """

    def __init__(self, session, *, ask_file: bool = False) -> None:
        super().__init__()
        self.session = session
        self.ask_file = ask_file
        self.rows: list[ConflictRow] = []
        self.changed = False

    def compose(self) -> ComposeResult:
        yield Static("", id="merge-head")
        yield FastTable([Column("where", "Où"), Column("mine", "Ici", 18), Column("theirs", "L'autre", 18)],
                        self._cells, id="merge-table")
        with VerticalScroll(id="merge-details"):
            yield Static("", id="merge-detail-text", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self._reload()
        self.query_one(FastTable).focus()
        if self.ask_file:
            self.call_after_refresh(self.action_merge_file)

    # --- what is shown ---------------------------------------------------------

    def _reload(self, keep: int | None = None) -> None:
        self.rows = conflict_rows(self.session)
        table = self.query_one(FastTable)
        table.set_rows([str(i) for i in range(len(self.rows))])
        if self.rows:
            table.move_cursor(min(keep or 0, len(self.rows) - 1))
        self._show_head()
        self._show_details()
        self.refresh_bindings()

    def _show_head(self) -> None:
        if self.rows:
            title = Content.styled(f"Fusion — {counted(len(self.rows), 'conflit')} à résoudre", "bold $warning")
            keys = hint("merge_mine", "merge_theirs", "merge_edit", "merge_next", "merge_file")
        else:
            title = Content.styled("Fusion — aucun conflit à résoudre", "bold $success")
            keys = f"{key_label('merge_file')} : fusionner la copie d'un coéquipier (faite par convergence copy)"
        self.query_one("#merge-head", Static).update(Content.assemble(title, "\n", (keys, "dim")))

    def _cells(self, key: str) -> list[str]:
        row = self.rows[int(key)]
        return [row.place, _line(row.mine), _line(row.theirs)]

    def _current(self) -> ConflictRow | None:
        key = self.query_one(FastTable).current_key
        return self.rows[int(key)] if key is not None and int(key) < len(self.rows) else None

    def _show_details(self) -> None:
        row = self._current()
        text = self.query_one("#merge-detail-text", Static)
        if row is None:
            text.update("Rien à départager : les réponses de l'équipe sont réunies.")
            return
        text.update("\n".join([
            f"{row.section} — {row.place}",
            f"Ici ({row.mine_by}) :",
            f"  {row.mine}",
            f"L'autre ({row.theirs_by}) :",
            f"  {row.theirs}",
            *([row.also] if row.also else []),
        ]))

    @on(FastTable.RowHighlighted)
    def _highlighted(self, event: FastTable.RowHighlighted) -> None:
        event.stop()
        self._show_details()

    # --- resolving -------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        # No conflict: the keys that resolve one are shown dimmed, not offered.
        return None if action in ("resolve", "edit", "step") and not self.rows else True

    def action_step(self, step: int) -> None:
        if self.rows:
            table = self.query_one(FastTable)
            table.move_cursor((table.cursor_row + step) % len(self.rows))

    def action_resolve(self, choice: str, value: str | None = None) -> None:
        row = self._current()
        if row is None:
            self.notify("Aucun conflit à résoudre ici.")
            return
        index = self.query_one(FastTable).cursor_row
        try:
            resolve(self.session, row.conflict, choice, value)
        except UserError as exc:  # a read-only campaign, a full disk (SaveFailed): said, nothing lost
            self.notify(str(exc), severity="error", timeout=10)
            return
        self.changed = True
        said = {"mine": "valeur d'ici gardée", "theirs": "valeur de la copie prise", "edit": "valeur écrite"}[choice]
        self.notify(f"{row.place} : {said}.", title="Conflit résolu")
        self._reload(keep=index)

    def action_edit(self) -> None:
        row = self._current()
        if row is None:
            return
        if not row.editable:
            self.notify(f"Ce conflit se tranche entre les deux valeurs : {key_label('merge_mine')} ou "
                        f"{key_label('merge_theirs')}.", severity="warning")
            return

        def done(text: str | None) -> None:
            if text is not None:
                self.action_resolve("edit", text)

        self.app.push_screen(TextPrompt(f"{row.place} — la valeur à garder", row.raw_mine), done)

    def action_merge_file(self, typed: str = "") -> None:
        def chosen(path: str | None) -> None:
            if not path:
                return
            try:
                done = merge(self.session, path)
            except UserError as exc:
                self.notify(str(exc), title="Fusion impossible", severity="error", timeout=15)
                self.action_merge_file(path)  # asked again with what was typed: a typo is one key to fix
                return
            self.changed = self.changed or not done.changed_nothing
            # Short: at 80×24 a toast covers the conflict's details (the CLI says it all).
            self.notify(merged_summary(done, short=True)[0], title="Fusion", timeout=8)
            self._reload()

        self.app.push_screen(PathPrompt("Fusionner la copie d'un coéquipier",
                                        "Le fichier de sa copie de cette campagne (.sqlite). Il est lu seulement, "
                                        "jamais modifié ; la fusion s'annule d'un coup (ctrl+z).", typed), chosen)

    def action_close(self) -> None:
        self.dismiss(self.changed)


def _line(text: str) -> str:
    return " ".join(text.split())
