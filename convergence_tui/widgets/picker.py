"""Pick one entry of a list by typing a few letters: the best matches first; Entrée picks,
échap closes. Used for choices (a region, a service…) and for the search of questions."""

from __future__ import annotations

import unicodedata

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from ..ui.commands import bindings, key_label

SHOWN = 200  # a long list is filtered by typing, not scrolled


def folded(text: str) -> str:
    """The text without accents or case, one character for one (« ÉDITEUR » → « editeur »), so that
    the places matched in it are the places to highlight in the label as written."""
    return "".join((unicodedata.normalize("NFKD", ch)[:1] or ch).lower()[:1] or ch for ch in text)


def matched(matcher: Matcher, query: str, label: str) -> tuple[float, Content]:
    """How well a label matches the typed letters, accents and case aside, and the label with the
    letters matched underlined. The label is text, never markup (it may come from a file)."""
    score, offsets = matcher.fuzzy_search.match(query, folded(label))
    shown = Content(label)
    for offset in offsets if score else ():
        if not label[offset].isspace():
            shown = shown.stylize("bold underline", offset, offset + 1)
    return score, shown


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
            found = OptionList(id="picker-options")
            # The keys stay in the filter (↑/↓ move in the list from there): tab never leaves the
            # keyboard in a list that may be empty.
            found.can_focus = False
            yield found

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, query: str) -> None:
        found = self.query_one(OptionList)
        found.clear_options()
        query = folded(query.strip())
        matcher = Matcher(query) if query else None
        scored = [(matched(matcher, query, label) if matcher else (1.0, Content(label)), i)
                  for i, label in enumerate(self.labels)]
        # Best match first ("bret" → Bretagne before Bourgogne-Franche-Comté), then the list's order.
        entries = [(i, shown) for (score, shown), i in sorted(scored, key=lambda s: (-s[0][0], s[1])) if score > 0]
        if not entries:
            found.add_option(Option(Content.styled(f"Rien ne correspond à « {query} » : effacez une lettre "
                                                   f"ou {key_label('picker_close')} pour fermer.",
                                                   "italic $text-muted"), disabled=True))
            return
        found.add_options(Option(shown, id=str(i)) for i, shown in entries[:SHOWN])
        ids = [i for i, _ in entries[:SHOWN]]
        found.highlighted = ids.index(self.current) if not query and self.current in ids else 0

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        option = self.query_one(OptionList).highlighted_option
        if option is not None and option.id is not None:
            self.dismiss(int(option.id))
        else:
            self.app.bell()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(int(event.option.id))

    def action_move(self, step: int) -> None:
        found = self.query_one(OptionList)
        if step > 0:
            found.action_cursor_down()
        else:
            found.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
