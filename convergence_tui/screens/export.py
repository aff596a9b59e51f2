"""Export (`e`): what blocks a final export, the certificate and its password (masked), progress,
then where the verified bundle is and the certificate fingerprint."""

from __future__ import annotations

import os
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from ..campaign.problems import KINDS
from ..errors import UserError
from ..ui.commands import bindings, key_label
from ..usecases import exporting
from ..usecases.review import export_blockers, problem_counts


class ExportScreen(ModalScreen[None]):
    BINDINGS = bindings("export")

    def __init__(self, session, settings, remembered) -> None:
        super().__init__(classes="modal")
        self.session = session
        self.settings = settings  # the chain to embed (the person's settings file)
        self.remembered = remembered  # the certificate last used (the program's state file)
        self.problems = export_blockers(session)
        self.running = False

    def compose(self) -> ComposeResult:
        default_p12 = os.environ.get("CONVERGENCE_P12") or self.remembered.p12
        with VerticalScroll(classes="dialog export"):
            yield Static("Exporter le paquet signé pour l'ANS", classes="dialog-title")
            yield Static(self._blocking_text(), id="export-blocking")
            yield Checkbox("Brouillon (exporter malgré ce qui manque ; marqué comme tel)", bool(self.problems),
                           id="export-draft")
            with Vertical(classes="field"):
                yield Label("Certificat de signature (.p12)", classes="field-label")
                yield Input(default_p12, placeholder="chemin du fichier .p12", id="export-p12")
                yield Static("Le certificat logiciel IGC-Santé du signataire. Pour un pilote : "
                             "convergence keygen --out pilote.p12 --name \"Prénom Nom\"", classes="field-note",
                             markup=False)
            with Vertical(classes="field"):
                yield Label("Mot de passe du certificat (jamais enregistré)", classes="field-label")
                yield Input("", password=True, id="export-password")
            with Vertical(classes="field"):
                yield Label("Dossier de sortie", classes="field-label")
                yield Input("exports", id="export-out")
            yield Button(f"Exporter ({key_label('export_run')})", id="export-run", variant="primary")
            yield Static("", id="export-log", markup=False)

    def on_mount(self) -> None:
        target = "#export-password" if self.query_one("#export-p12", Input).value else "#export-p12"
        self.query_one(target, Input).focus()

    def _blocking_text(self) -> Content:
        if not self.problems:
            return Content.styled("Rien ne bloque : l'export sera une soumission définitive.", "bold $success")
        counts = problem_counts(self.problems)
        detail = ", ".join(f"{n} {KINDS[k]}" for k, n in counts.items() if n)
        lines = [Content.styled(f"Export définitif impossible : {len(self.problems)} point(s) — {detail}.",
                                "bold $warning")]
        lines += [Content(f"  - {p.message}") for p in self.problems[:4]]
        if len(self.problems) > 4:
            lines.append(Content(f"  … et {len(self.problems) - 4} autre(s) ({key_label('review')} : la revue les "
                                 "liste tous)"))
        return Content("\n").join(lines)

    def _log(self, text: str) -> None:
        log = self.query_one("#export-log", Static)
        log.update(f"{log.content}\n{text}".strip() if isinstance(log.content, str) else text)

    @on(Button.Pressed, "#export-run")
    def _pressed(self) -> None:
        self.action_export()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "export-password":
            self.action_export()
        else:
            self.focus_next()

    def action_close(self) -> None:
        if not self.running:
            self.dismiss(None)

    def action_export(self) -> None:
        if self.running:
            return
        draft = self.query_one("#export-draft", Checkbox).value
        p12 = self.query_one("#export-p12", Input).value.strip()
        password_input = self.query_one("#export-password", Input)
        password, password_input.value = password_input.value, ""  # it lives only as long as it is needed
        out = Path(self.query_one("#export-out", Input).value.strip() or "exports")
        self.query_one("#export-log", Static).update("")
        if not p12:
            self._log("⚠ Indiquez le fichier du certificat de signature (.p12).")
            return
        if self.problems and not draft:
            self._log(f"⚠ {exporting.ExportRefused(self.problems).message}")
            return
        # The chain of intermediates, when the settings name one (as for the .p12, set once).
        chain = self.settings.path_of(self.settings.chain) if self.settings.chain else None
        self.running = True
        self._export(Path(p12), password, out, draft, chain)

    @work(thread=True, exclusive=True, group="export")
    def _export(self, p12: Path, password: str, out: Path, draft: bool, chain: Path | None) -> None:
        # The one export use case, as the CLI runs it, off the interface thread: checking, opening
        # the certificate (a slow key derivation), the report, signing, writing and verifying.
        def progress(step: str) -> None:
            self.app.call_from_thread(self._log, f"… {step}")

        try:
            result = exporting.export(self.session, out, p12, password, draft=draft, progress=progress, chain=chain,
                                      chain_origin=f"réglage chain de {self.settings.origin}")
        except UserError as exc:
            self.app.call_from_thread(self._done, None, exc.message)
        else:
            self.app.call_from_thread(self._remember, p12)
            self.app.call_from_thread(self._done, result, None)

    def _remember(self, p12: Path) -> None:
        # Absolute: the next run may start in another folder.
        self.remembered.remember(p12=str(p12.expanduser().resolve()))

    def _done(self, result, error: str | None) -> None:
        self.running = False
        if error:
            self._log(f"⚠ {error} Rien n'a été écrit.")
            return
        kind = "BROUILLON" if result.draft else "soumission définitive"
        self._log(f"✓ Paquet écrit et vérifié ({kind}) :\n  {result.path}\n"
                  f"Empreinte SHA-256 du certificat : {result.fingerprint}")
        if result.questionnaire != "official":
            from ..report.text import PIN_WORDS

            self._log(f"⚠ Questionnaire {PIN_WORDS[result.questionnaire]}.")
        self.notify(f"Paquet écrit : {result.path}", title="Export")
