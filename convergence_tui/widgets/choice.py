"""A one-line choice: ←/→ step through the options, Entrée opens a list you can filter.

Textual's Select mounts about six widgets and its whole option list with
each field (30 ms each here) and would build 500 options for a service
picker. This is one widget; the list is built only when it is opened.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

BLANK = "— choisir —"


class Choice(Widget, can_focus=True):
    DEFAULT_CSS = """
    Choice {
        height: 3;
        border: tall $border-blurred;
        background: $surface;
        padding: 0 1;
    }
    Choice:focus {
        border: tall $border;
        background-tint: $foreground 5%;
    }
    Choice.-empty {
        color: $text-muted;
    }
    """
    BINDINGS = [
        Binding("enter,space", "open", "Choisir", id="choice_open"),
        Binding("left", "step(-1)", "Précédent", show=False, id="choice_previous"),
        Binding("right", "step(1)", "Suivant", show=False, id="choice_next"),
        Binding("delete,backspace", "clear", "Vider", show=False, id="choice_clear"),
    ]

    value: reactive[Any] = reactive(None, init=False)

    class Changed(Message):
        def __init__(self, choice: Choice, value: Any) -> None:
            super().__init__()
            self.choice = choice
            self.value = value

        @property
        def control(self) -> Choice:
            return self.choice

    def __init__(self, options: list[tuple[str, Any]], value: Any = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.options = options
        self.set_reactive(Choice.value, value if any(v == value for _, v in options) else None)
        self.set_class(self.value is None, "-empty")

    def label(self) -> str:
        return next((label for label, v in self.options if v == self.value and self.value is not None), BLANK)

    def render(self) -> Content:
        return Content.assemble(self.label(), ("  ▾", "dim"))

    def watch_value(self, value: Any) -> None:
        self.set_class(value is None, "-empty")
        self.post_message(self.Changed(self, value))

    def _index(self) -> int:
        return next((i for i, (_, v) in enumerate(self.options) if v == self.value and self.value is not None), -1)

    def action_step(self, step: int) -> None:
        if self.options:
            i = self._index()
            self.value = self.options[(i + step) % len(self.options) if i >= 0 else 0][1]

    def action_clear(self) -> None:
        self.value = None

    def action_open(self) -> None:
        def chosen(index: int | None) -> None:
            if index is not None:
                self.value = self.options[index][1]
            self.focus()

        self.app.push_screen(ChoicePicker(self.options, self._index()), chosen)


class ChoicePicker(ModalScreen[int | None]):
    """The options of one choice, filtered as you type; Entrée picks, échap closes."""

    BINDINGS = [Binding("escape", "cancel", "Fermer", id="picker_close"),
                Binding("down", "move(1)", show=False, id="picker_down"),
                Binding("up", "move(-1)", show=False, id="picker_up")]

    def __init__(self, options: list[tuple[str, Any]], current: int) -> None:
        super().__init__(classes="modal")
        self.options = options
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog search"):
            yield Input(placeholder="Filtrer…", id="picker-filter")
            yield OptionList(id="picker-options")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, query: str) -> None:
        found = self.query_one(OptionList)
        found.clear_options()
        matcher = Matcher(query) if query else None
        scored = [((matcher.match(label) if matcher else 1.0), i, label) for i, (label, _) in enumerate(self.options)]
        # Best match first ("bret" → Bretagne before Bourgogne-Franche-Comté), then the list's order.
        entries = [(i, label) for score, i, label in sorted(scored, key=lambda s: (-s[0], s[1])) if score > 0]
        found.add_options(Option(matcher.highlight(label) if matcher else label, id=str(i)) for i, label in entries)
        if entries:
            ids = [i for i, _ in entries]
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
