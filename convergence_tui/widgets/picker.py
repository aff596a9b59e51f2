"""Pick one entry of a list by typing a few letters: the best matches first; Entrée picks,
échap closes. Used for choices (a region, a service…) and for the search of questions."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from ..ui.commands import bindings

SHOWN = 200  # a long list is filtered by typing, not scrolled


class FuzzyPicker(ModalScreen[int | None]):
    """Dismisses with the index of the chosen entry, or None."""

    BINDINGS = bindings("picker")

    def __init__(self, labels: list[str], *, current: int = -1, placeholder: str = "Filtrer…") -> None:
        super().__init__(classes="modal")
        self.labels = labels
        self.current = current
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog search"):
            yield Input(placeholder=self.placeholder, id="picker-filter")
            yield OptionList(id="picker-options")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, query: str) -> None:
        found = self.query_one(OptionList)
        found.clear_options()
        matcher = Matcher(query) if query else None
        scored = [((matcher.match(label) if matcher else 1.0), i, label) for i, label in enumerate(self.labels)]
        # Best match first ("bret" → Bretagne before Bourgogne-Franche-Comté), then the list's order.
        entries = [(i, label) for score, i, label in sorted(scored, key=lambda s: (-s[0], s[1])) if score > 0]
        found.add_options(Option(matcher.highlight(label) if matcher else label, id=str(i))
                          for i, label in entries[:SHOWN])
        if entries:
            ids = [i for i, _ in entries[:SHOWN]]
            found.highlighted = ids.index(self.current) if not query and self.current in ids else 0

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        option = self.query_one(OptionList).highlighted_option
        if option is not None:
            self.dismiss(int(option.id))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id))

    def action_move(self, step: int) -> None:
        found = self.query_one(OptionList)
        if step > 0:
            found.action_cursor_down()
        else:
            found.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
