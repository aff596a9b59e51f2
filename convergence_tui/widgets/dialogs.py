"""Dialogs the views open: a yes/no question, a text to write."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static, TextArea

from ..ui.commands import bindings, bindings_of, hint, key_label


class Confirm(ModalScreen[bool]):
    """Yes / no (keys: confirm_yes, confirm_no)."""

    BINDINGS = bindings_of("confirm_yes", "confirm_no")

    def __init__(self, question: str) -> None:
        super().__init__(classes="modal")
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"Oui ({key_label('confirm_yes')})", id="yes", variant="error")
                yield Button(f"Non ({key_label('confirm_no')})", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class TextPrompt(ModalScreen[str | None]):
    """A text to write (justification, comment, evidence). Ctrl+S or Entrée on the button saves."""

    BINDINGS = bindings_of("prompt_save", "prompt_cancel")

    def __init__(self, title: str, text: str = "") -> None:
        super().__init__(classes="modal")
        self.title_text = title
        self.text = text
        self._warned = False  # échap was pressed once over a text that was changed

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield TextArea(self.text, id="prompt-text", soft_wrap=True)
            yield Static(hint("prompt_save", "prompt_cancel"), classes="view-hint")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.move_cursor(area.document.end)  # typing continues the text, it does not go before it
        area.focus()

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        """Échap leaves a text unchanged at once; a text written here is not thrown away on one key
        (échap elsewhere is harmless: forms save as one types): the first échap says so."""
        if self.query_one(TextArea).text == self.text or self._warned:
            self.dismiss(None)
            return
        self._warned = True
        self.query_one(".view-hint", Static).update(Content.styled(
            f"⚠ Ce texte n'est pas enregistré : {key_label('prompt_save')} pour l'enregistrer, "
            f"{key_label('prompt_cancel')} encore pour l'abandonner.", "bold $warning"))

    def on_text_area_changed(self) -> None:
        if self._warned:  # writing again: the warning no longer applies
            self._warned = False
            self.query_one(".view-hint", Static).update(hint("prompt_save", "prompt_cancel"))


class NamePrompt(ModalScreen[str | None]):
    """Who is typing, asked once on a laptop that knows no name: every change is journaled under it
    (a teammate's copy of the campaign would otherwise sign everything with its creator's name)."""

    BINDINGS = bindings_of("prompt_save", "prompt_cancel")

    def __init__(self, file_author: str) -> None:
        super().__init__(classes="modal")
        self.file_author = file_author

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Votre nom", classes="dialog-title", markup=False)
            yield Static("Chaque modification est enregistrée avec le nom de qui la fait (journal, fusion des "
                         "copies de l'équipe). Ce poste ne connaît pas encore le vôtre.", classes="dialog-text",
                         markup=False)
            yield Input(placeholder="Prénom Nom", id="name-input", select_on_focus=False)
            yield Static("", id="name-error", markup=False)
            yield Static(hint("prompt_save", "prompt_cancel") + f" (garde « {self.file_author} », "
                         "l'auteur du fichier)", classes="view-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        from ..referentiel.values import text_problem

        name = self.query_one(Input).value.strip()
        problem = "écrivez votre nom" if not name else text_problem(name)
        if problem:
            self.query_one("#name-error", Static).update(Content.styled(f"⚠ {problem}", "bold $error"))
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PathPrompt(ModalScreen[str | None]):
    """A file to name (a teammate's copy): one line, Entrée or ctrl+s to go, échap to give up."""

    BINDINGS = bindings_of("prompt_save", "prompt_cancel")

    def __init__(self, title: str, note: str, text: str = "") -> None:
        super().__init__(classes="modal")
        self.title_text, self.note, self.text = title, note, text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.note, classes="dialog-text", markup=False)
            yield Input(self.text, placeholder="chemin du fichier", id="path-input", select_on_focus=False)
            yield Static(hint("prompt_save", "prompt_cancel"), classes="view-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        self.dismiss(self.query_one(Input).value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Reading(ModalScreen[None]):
    """A text to read whole (a criterion: its levels, its help), scrolled with the arrows."""

    BINDINGS = bindings("reading")

    def __init__(self, title: str, text: str) -> None:
        super().__init__(classes="modal")
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog reading"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.text, classes="dialog-text", markup=False)
            yield Static(hint("reading_close"), classes="view-hint")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
