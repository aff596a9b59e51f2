"""Choosing the baseline (palette « Paquet de référence », or its key in the review): a bundle's path,
verified in a worker thread by the same use case as `convergence compare` (verifying takes a
second or two), then remembered in the campaign on the interface thread (its SQLite connection is
that thread's). The review's « Évolution » tab shows the comparison."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..errors import UserError
from ..escaping import printable
from ..report.evolution import baseline_line
from ..ui.commands import bindings_of, key_label
from ..usecases import comparing


class BaselineScreen(ModalScreen[bool]):
    """Dismisses with True once a baseline is verified and remembered."""

    BINDINGS = bindings_of("prompt_cancel")

    def __init__(self, session, settings) -> None:
        super().__init__(classes="modal")
        self.session = session
        self.settings = settings  # its trust anchors authenticate the signer, as for `verify`
        self.running = False
        try:
            self.current = comparing.load_baseline(session)
        except UserError:
            self.current = None

    def compose(self) -> ComposeResult:
        now = (f"Référence actuelle — {baseline_line(self._doc())}" if self.current is not None
               else "Aucune référence pour l'instant.")
        with Vertical(classes="dialog", id="baseline-dialog"):
            yield Static("Paquet de référence : la campagne précédente de la région", classes="dialog-title")
            yield Static(now, classes="dialog-text", markup=False)
            yield Input(self.current.facts["file"] if self.current else "", placeholder="chemin du paquet .zip",
                        id="baseline-path")
            yield Static("Le paquet est vérifié (signature, empreintes, questionnaire, scores), puis retenu dans la "
                         "campagne : l'onglet Évolution de la revue et « convergence compare » le réutilisent. "
                         "Pour en changer, donnez-en un autre.", classes="dialog-text", markup=False)
            yield Static("", id="baseline-log", markup=False)
            yield Static(f"Entrée : vérifier et retenir · {key_label('prompt_cancel')} : fermer", classes="view-hint",
                         markup=False)

    def _doc(self) -> dict:
        assert self.current is not None
        return {"baseline": self.current.facts}

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if self.running:
            return
        if not text:
            self._say("⚠ Indiquez le chemin du paquet (.zip).", error=True)
            return
        self.running = True
        self._say("… vérification du paquet")
        self._check(Path(text))

    @work(thread=True, exclusive=True, group="baseline")
    def _check(self, path: Path) -> None:
        # Reads files only (the bundle, the trust anchors): nothing of the campaign's database.
        try:
            baseline = comparing.check_baseline(path, self.session.ref, comparing.trust_from_settings(self.settings))
        except UserError as exc:
            self.app.call_from_thread(self._failed, str(exc))
        else:
            self.app.call_from_thread(self._remember, baseline)

    def _remember(self, baseline: comparing.Baseline) -> None:
        try:
            comparing.remember_baseline(self.session, baseline)
        except UserError as exc:
            self._failed(exc.message)
            return
        self.running = False
        self.notify(f"Référence retenue : {Path(baseline.facts['file']).name}. Revue ({key_label('review')}), "
                    "onglet Évolution.", title="Paquet de référence")
        self.dismiss(True)

    def _failed(self, message: str) -> None:
        self.running = False
        self._say(f"⚠ {printable(message, multiline=True)} Rien n'a été retenu.", error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.query_one("#baseline-log", Static).update(Content.styled(text, "bold $error") if error else text)

    def action_cancel(self) -> None:
        if not self.running:
            self.dismiss(False)


def ask_baseline(screen) -> None:
    """The dialog, from the main screen (the palette) or the review."""
    screen.app.push_screen(BaselineScreen(screen.session, screen.app.settings))
