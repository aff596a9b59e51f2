"""Dialogs of the main screen: quitting with unsaved changes, help, search."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ..ui.commands import COMMANDS, SCOPES, TEXTUAL_KEYS, bindings, key_label, keys_of
from ..widgets.picker import FuzzyPicker
from ..wording import counted


class UnsavedQuit(ModalScreen[str]):
    """Quitting while changes are not in the file: try again (r), stay (échap), or quit and lose
    them (p), with the list of what would be lost. Dismisses with "retry", "stay" or "lose"."""

    BINDINGS = bindings("unsaved")
    SHOWN = 8  # lines of the list; the rest is counted

    def __init__(self, reason: str | None, lost: list[str]) -> None:
        super().__init__(classes="modal")
        self.reason = reason
        self.lost = lost

    def compose(self) -> ComposeResult:
        n = len(self.lost)
        lines = [f"  • {line}" for line in self.lost[:self.SHOWN]]
        if n > self.SHOWN:
            lines.append(f"  … et {counted(n - self.SHOWN, 'autre')}")
        with Vertical(classes="dialog unsaved"):
            unsaved = counted(n, "modification NON ENREGISTRÉE", "modifications NON ENREGISTRÉES")
            yield Static(f"{unsaved} ; quitter maintenant les perdrait :",
                         classes="dialog-title", markup=False)
            yield Static("\n".join(lines), id="unsaved-list", classes="dialog-text", markup=False)
            if self.reason:
                yield Static(self.reason, classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"Réessayer ({key_label('unsaved_retry')})", id="retry", variant="primary")
                yield Button(f"Rester ({key_label('unsaved_stay')})", id="stay")
                yield Button(f"Quitter, perdre ({key_label('unsaved_lose')})", id="lose", variant="error")

    def on_mount(self) -> None:
        self.app.clear_notifications()  # the toasts of the failure would hide the buttons at 80×24
        self.query_one("#stay", Button).focus()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)


class HelpScreen(ModalScreen[None]):
    BINDINGS = bindings("help")

    def compose(self) -> ComposeResult:
        # Built as Content, not markup: keys such as "[" would read as tags. Every command of the
        # registry, with the user's keys, in French; the identifiers a keymap names come last, as
        # the lines to write in the settings file.
        lines: list[Content] = [
            Content.styled("Aide — convergence-tui", "bold"),
            Content("Chaque modification est enregistrée aussitôt dans le fichier de campagne : rien à sauvegarder."),
            Content("Les niveaux se recalculent à chaque réponse (panneau de gauche)."),
            Content(""),
        ]
        for scope, title in SCOPES.items():
            lines.append(Content.styled(title, "bold"))
            for c in COMMANDS:
                if c.scope == scope:
                    lines.append(Content(f"  {key_label(c.id, every=True):<18} {c.help}"))
            if scope == "app":
                lines.extend(Content(f"  {keys:<18} {text}") for keys, text in TEXTUAL_KEYS)
            lines.append(Content(""))
        lines.append(Content.styled("Changer une touche", "bold"))
        lines.append(Content("Dans le fichier de réglages (config.toml), table [keymap] : l'identifiant de la "
                             "commande = les touches, séparées par des virgules. Les identifiants :"))
        lines.extend(Content.assemble((f"  {c.id}", "dim"), f" = « {keys_of(c.id)} »  ", (c.label, "italic"))
                     for c in COMMANDS)
        with VerticalScroll(classes="dialog help"):
            yield Static(Content("\n").join(lines), id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)


class SearchScreen(FuzzyPicker):
    """Fuzzy search over question labels and criterion ids; Entrée jumps there.

    Dismisses with the index of the chosen target in the list it was given.
    """

    def __init__(self, targets: list[tuple[str, str, str, str]]) -> None:
        super().__init__([text for text, *_ in targets],
                         placeholder="Chercher une question ou un critère (ex. INS, SIRET, IOP-03)…")
