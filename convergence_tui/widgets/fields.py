"""One field per question: label, control, help, and the reason when the value is invalid.

A field never saves anything: it posts `Field.Edited` with what the person
typed, and the screen saves it through the session. `immediate` is False
while typing (the screen debounces) and True on Enter, on leaving the field,
or for choices.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, Static

from ..cells import Cell
from ..referentiel.models import Question
from ..wording import counted
from .choice import Choice

SELECT_TYPES = ("choice", "yes_no", "region", "category", "service", "criterion", "level", "item")
PLACEHOLDERS = {
    "date": "JJ/MM/AAAA",
    "integer": "nombre entier",
    "decimal": "nombre, ex. 12,5",
    "euros": "montant en euros, ex. 12 500",
    "percent": "0 à 100",
    "email": "prenom.nom@domaine.fr",
    "phone": "01 23 45 67 89",
    "siret": "14 chiffres",
    "semester": "AAAA-S1 ou AAAA-S2",
}


class Field(Vertical, can_focus=False):
    DEFAULT_CLASSES = "field"

    class Edited(Message):
        def __init__(self, field: Field, raw: Any, immediate: bool) -> None:
            super().__init__()
            self.field = field
            self.raw = raw
            self.immediate = immediate

    def __init__(self, question: Question, scope: str, cell: Cell | None,
                 options: list[tuple[str, Any]] | None = None, readonly: bool = False) -> None:
        super().__init__(id=f"field-{question.id}")
        self.readonly = readonly
        self.question = question
        self.scope = scope
        self.cell = cell
        self.options = options or []
        self.error: str | None = None
        self._ready = False
        self.focus_on_mount = ""  # "scroll": focus and bring into view; "top": focus, the form stays at its top

    def compose(self) -> ComposeResult:
        q = self.question
        mark = " *" if q.required else ""
        unit = f" ({q.unit})" if q.unit else ""
        self.label_text = f"{q.label}{unit}{mark}"
        yield Label(self.label_text, classes="field-label", markup=False)
        yield self._control()
        # One widget for the help and the reason a value is invalid, and only when there is one of
        # them (mounted on the first error otherwise): each widget costs a form ~1 ms to mount.
        if q.help or (self.cell is not None and self.cell.error):
            yield Static(q.help, classes="field-note", markup=False)

    def _control(self):
        q, cell = self.question, self.cell
        value = cell.value if cell and cell.error is None else None
        shown = (cell.raw if cell and cell.raw is not None else ("" if value is None else str(value))) if cell else ""
        if q.type in SELECT_TYPES:
            return Choice(self.options, value, id="control")
        # Imported when a form has one: most forms have neither, and the first screen comes sooner.
        if q.type == "covers":
            from .covers_list import CoversList

            # « covers » holds [service, criterion] pairs; its options are « service/criterion » texts.
            ticked = {f"{p[0]}/{p[1]}" for p in value or []}
            # Service names came from people: shown as text, never read as markup.
            return CoversList(*[(Content(label), v, v in ticked) for label, v in self.options], id="control")
        if q.type == "multi_choice":
            from textual.widgets import SelectionList

            chosen = value or []
            return SelectionList(*[(label, v, v in chosen) for label, v in self.options], id="control")
        if q.type == "long_text":
            from textual.widgets import TextArea

            return TextArea(shown, id="control", soft_wrap=True, show_line_numbers=False)
        # No Textual validators (the session checks values): `validate_on=()` spares each Input a
        # restyle at creation (measured: ~7 ms a form).
        # select_on_focus off: landing in a field with its text selected, one stray key would
        # replace the whole answer.
        return Input(shown, placeholder=q.placeholder or PLACEHOLDERS.get(q.type, ""), id="control",
                     validate_on=(), select_on_focus=False)

    def on_mount(self) -> None:
        if self.readonly:  # read-only review: shown, never editable
            self.control.disabled = True
        if self.question.type == "covers":
            self._count_ticked()
        if self.cell is not None and self.cell.error:
            self.show_error(self.cell.error)
        if self.focus_on_mount:  # scrolled into view by the form once laid out (FormView.revealed)
            self.focus_control(scroll=False)
        # Controls echo their initial value once mounted; those echoes are not edits.
        self.call_after_refresh(self._arm)

    def _arm(self) -> None:
        self._ready = True

    @property
    def control(self):
        return self.query_one("#control")

    def focus_control(self, scroll: bool = True) -> None:
        # No animated scroll: it would land at a different place each time the layout is still settling.
        if not self.readonly:
            self.control.focus(scroll_visible=False)
        if scroll:
            self.call_after_refresh(self.scroll_into_view)

    def scroll_into_view(self, tries: int = 25) -> None:
        """Scroll to this field once it has a place on screen: a form shown again (or under a modal
        that is closing) is laid out a frame or two later, and scrolling before would do nothing."""
        if self.region.height:
            self.scroll_visible(animate=False)
        elif tries and self.display:
            self.set_timer(0.02, lambda: self.scroll_into_view(tries - 1))

    def show_error(self, message: str | None) -> None:
        notes = self.query(".field-note")
        if not notes and not message:
            return
        if notes:
            note = notes.first(Static)
        else:
            note = Static("", classes="field-note", markup=False)
            self.mount(note)
        help_text = Content(self.question.help)
        if message:
            note.update(Content.assemble((f"⚠ {message}", "bold $error"), "\n" if self.question.help else "",
                                         help_text))
        else:
            note.update(help_text)
        note.display = bool(message or self.question.help)
        self.error = message
        self.set_class(bool(message), "-invalid")

    def show_unsaved(self, unsaved: bool) -> None:
        """Mark the field while the file refuses its value (the value stays as typed)."""
        label = self.query_one(".field-label", Label)
        label.update(f"{self.label_text}  ⚠ NON ENREGISTRÉ" if unsaved else self.label_text)
        self.set_class(unsaved, "-unsaved")

    def _post(self, raw: Any, immediate: bool) -> None:
        if self._ready:
            self.post_message(self.Edited(self, raw, immediate))

    def _relay(self, event: Message, raw: Any, immediate: bool) -> None:
        """A control's change becomes the field's: typing is saved after a pause, a choice at once."""
        event.stop()
        self._post(raw, immediate)

    @on(Input.Changed, "#control")
    def _typed(self, event: Input.Changed) -> None:
        self._relay(event, event.value, False)

    @on(Input.Submitted, "#control")
    def _submitted(self, event: Input.Submitted) -> None:
        self._relay(event, event.value, True)

    # Handlers by name (TextArea and SelectionList are imported only when used).
    def on_text_area_changed(self, event) -> None:
        self._relay(event, event.text_area.text, False)

    @on(Choice.Changed, "#control")
    def _chosen(self, event: Choice.Changed) -> None:
        self._relay(event, event.value, True)

    def on_selection_list_selected_changed(self, event) -> None:
        self._relay(event, list(event.selection_list.selected), True)
        if self.question.type == "covers":
            self._count_ticked()

    def _count_ticked(self) -> None:
        """« Écarts couverts * — 12 écarts cochés »: how many, before the list."""
        n = len(self.control.selected)
        self.query_one(".field-label", Label).update(f"{self.label_text} — {counted(n, 'écart coché')}")

    def tick(self, values: list[str]) -> None:
        """Tick these gaps too, saved as one change (a group chosen at once)."""
        control = self.control
        with control.prevent(control.SelectedChanged):
            for value in values:
                control.select(value)
        self._post(list(control.selected), True)
        self._count_ticked()

    def on_descendant_blur(self) -> None:
        # Leaving a text field saves at once, without waiting for the debounce.
        control = self.control
        if isinstance(control, Input):
            self._post(control.value, True)
        elif self.question.type == "long_text":
            self._post(control.text, True)
