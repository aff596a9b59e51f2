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

from ..campaign.problems import kinds_summary
from ..errors import UserError, counted
from ..ui.commands import bindings, key_label
from ..usecases import exporting
from ..usecases.review import export_blockers


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
        with VerticalScroll(classes="dialog export", id="export-dialog"):
            yield Static("Exporter le paquet signé pour l'ANS", classes="dialog-title")
            with Vertical(id="export-form"):
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
            # Once written: what was written, where, verified, draft or final, until the person closes it;
            # the steps below it (with the chain's notes).
            yield Static("", id="export-outcome", markup=False)
            yield Static(f"{key_label('export_done')} ou {key_label('export_close')} : fermer", id="export-done-hint",
                         classes="view-hint")
            yield Static("", id="export-log", markup=False)

    def on_mount(self) -> None:
        self.outcome: list[str] | None = None
        self.query_one("#export-outcome").display = self.query_one("#export-done-hint").display = False
        target = "#export-password" if self.query_one("#export-p12", Input).value else "#export-p12"
        self.query_one(target, Input).focus()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        # Entrée closes the outcome only: before it, Entrée belongs to the fields and the button.
        return self.outcome is not None if action == "done" else True

    def action_done(self) -> None:
        if self.outcome is not None:
            self.dismiss(None)

    def _blocking_text(self) -> Content:
        if not self.problems:
            return Content.styled("Rien ne bloque : l'export sera une soumission définitive.", "bold $success")
        lines = [Content.styled(f"Export définitif impossible : {counted(len(self.problems), 'point')} — "
                                f"{kinds_summary(self.problems)}.",
                                "bold $warning")]
        lines += [Content(f"  - {p.message}") for p in self.problems[:4]]
        if len(self.problems) > 4:
            more = counted(len(self.problems) - 4, "autre")
            lines.append(Content(f"  … et {more} ({key_label('review')} : la revue les liste tous)"))
        return Content("\n").join(lines)

    def _log(self, text: str) -> None:
        log = self.query_one("#export-log", Static)
        log.update(f"{log.content}\n{text}".strip() if isinstance(log.content, str) else text)
        self.query_one("#export-dialog").scroll_end(animate=False)  # the latest step in view at 80×24

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
            # The problems read on the interface thread (the campaign's SQLite connection is that
            # thread's; the sign-off state reads it): the dialog is modal, nothing changes meanwhile.
            result = exporting.export(self.session, out, p12, password, draft=draft, progress=progress, chain=chain,
                                      chain_origin=f"réglage chain de {self.settings.origin}",
                                      problems=self.problems)
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
        # The form goes, the outcome stays until the person closes it (a toast would vanish).
        self.outcome = exporting.outcome_lines(result, self.problems if result.draft else [])
        self.query_one("#export-form").display = False
        outcome = self.query_one("#export-outcome", Static)
        outcome.update("✓ " + "\n".join(self.outcome))
        outcome.set_class(result.draft, "-draft")
        outcome.display = self.query_one("#export-done-hint").display = True
        dialog = self.query_one("#export-dialog", VerticalScroll)
        dialog.focus()
        dialog.scroll_home(animate=False)
