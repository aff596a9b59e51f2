"""A one-line choice: ←/→ step through the options, Entrée opens a list you can filter.

Textual's Select mounts about six widgets and its whole option list with
each field (30 ms each here) and would build 500 options for a service
picker. This is one widget; the list is built only when it is opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from ..ui.commands import bindings
from ..ui.messages import ControlMessage
from .picker import FuzzyPicker

BLANK = "— choisir —"


class Choice(Widget, can_focus=True):
    DEFAULT_CSS = """
    Choice {
        height: auto;  /* a long choice wraps (a category's full name), never cut */
        min-height: 3;
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
    BINDINGS = bindings("choice")

    value: reactive[Any] = reactive(None, init=False)

    @dataclass
    class Changed(ControlMessage):
        value: Any = None

    def __init__(self, options: list[tuple[str, Any]], value: Any = None, **kwargs) -> None:
        value = value if any(v == value for _, v in options) else None
        # The class given at construction: set afterwards, it would restyle the widget before it is
        # even mounted (Textual applies the stylesheet on every class change).
        classes = " ".join(filter(None, (kwargs.pop("classes", ""), "-empty" if value is None else "")))
        super().__init__(classes=classes or None, **kwargs)
        self.options = options
        self.set_reactive(Choice.value, value)

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

        self.app.push_screen(FuzzyPicker([label for label, _ in self.options], current=self._index()), chosen)
