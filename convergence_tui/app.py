"""The Textual application: opens the campaign (or the wizard), wires commands, keymap and palette."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.command import CommandPalette
from textual.screen import Screen

from .config import Remembered, Settings, known_author
from .errors import UserError
from .referentiel import Referentiel
from .referentiel import load as load_referentiel
from .ui.commands import COMMANDS, bindings_of, key_label, use_keymap
from .usecases.session import Session
from .widgets.control_pictures import ControlPictures


class ConvergenceApp(App):
    TITLE = "Convergence"
    CSS_PATH = ["screens/main.tcss", "screens/modals.tcss", "screens/wizard.tcss"]
    BINDINGS = bindings_of("quit")
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, db: Path, ref: Referentiel, session: Session | None = None, *, review: bool = False,
                 settings: Settings | None = None, remembered: Remembered | None = None) -> None:
        super().__init__()
        self.db = Path(db)
        self.ref = ref
        self.session = session
        self.review = review
        self.settings = settings or Settings()  # the person's file: read, never written
        self.remembered = remembered or Remembered.load(self.settings)  # the program's own (state.toml)
        self.keymap = dict(self.settings.keymap)
        self._filters.append(ControlPictures())  # every line drawn: see widgets/control_pictures.py
        self.lost: list[str] = []  # changes the person chose to quit without (see action_quit)
        self.kept_in: Path | None = None  # where changes not saved went when the program was ended

    def on_mount(self) -> None:
        # A closed terminal (SIGHUP) or a shutdown (SIGTERM): changes the file still refuses are
        # written elsewhere and said, never dropped in silence.
        import asyncio
        import signal

        for sig in (getattr(signal, "SIGHUP", None), signal.SIGTERM):
            if sig is not None:
                try:
                    asyncio.get_running_loop().add_signal_handler(sig, self._ended_from_outside)
                except (NotImplementedError, RuntimeError):  # Windows: no such handlers
                    pass
        if self.settings.theme:
            self.theme = self.settings.theme
        use_keymap(self.keymap)  # the hints written on screen follow the user's keys too
        if self.keymap:
            self.set_keymap(self.keymap)
        if self.settings.problem:
            self.notify(self.settings.problem, severity="warning", timeout=10)
        if self.session is None:
            from .screens.wizard import WizardScreen

            self.push_screen(WizardScreen(self.ref, self.db, self.remembered.author))
        else:
            self._open_main()

    def _open_main(self) -> None:
        from .screens.main import MainScreen

        main = MainScreen(self.session, open_review=self.review)
        self.push_screen(main)
        session = self.session
        if session is not None and not session.readonly and not known_author(self.remembered):
            from .widgets.dialogs import NamePrompt

            def named(name: str | None) -> None:
                if name:
                    session.author = name
                    self.remembered.remember(author=name)

            self.push_screen(NamePrompt(session.author), named)

    def create_campaign(self, answers: dict, author: str) -> None:
        try:
            self.session = Session.create(self.db, self.ref, author=author, answers=answers)
        except UserError as exc:
            self.notify(exc.message, severity="error", timeout=10)
            return
        self.remembered.remember(author=author)
        self.pop_screen()
        self._open_main()

    def first_screen_ready(self) -> None:
        """The first interactive screen is painted. Benchmarks (CONVERGENCE_EXIT_WHEN_READY) stop here,
        noting the moment (CONVERGENCE_READY_STAMP=FILE) and optionally listing the modules loaded so
        far (CONVERGENCE_READY_MODULES=FILE)."""
        if not os.environ.get("CONVERGENCE_EXIT_WHEN_READY"):
            return
        stamp_ready()
        listing = os.environ.get("CONVERGENCE_READY_MODULES")
        if listing:
            Path(listing).write_text("\n".join(sorted(sys.modules)), encoding="utf-8")
        self.exit(0)

    def main_screen(self) -> Screen | None:
        from .screens.main import MainScreen

        return next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)

    async def action_quit(self) -> None:
        """Quit, unless a change is not in the file: then ask (retry, stay, or quit and lose it)."""
        main = self.main_screen()
        if main is None or main.saver.flush():
            self.exit(0)
            return
        from .screens.modals import UnsavedQuit

        if not isinstance(self.screen, UnsavedQuit):  # ctrl+q again while asking: still asking
            self._ask_before_losing(main)

    def _ended_from_outside(self) -> None:
        main = self.main_screen()
        if main is None or self._save_or_keep_elsewhere(main):
            self.exit(0)
        else:
            self.exit(return_code=1)

    def on_exit_app(self) -> None:
        """Told to end by something else than our own quit: textual-serve's "quit" when the browser
        tab closes or `convergence serve` stops, its ctrl+c. What is still queued (typed in the last
        300 ms, or refused by the file) is saved or kept, as when a terminal closes. (Our own quit
        paths have saved or dropped everything before they exit: nothing is queued then.)"""
        main = self.main_screen()
        if main is not None and main.saver.pending and not self._save_or_keep_elsewhere(main):
            self.exit(return_code=1)

    def _save_or_keep_elsewhere(self, main) -> bool:
        """Write what is queued; what the file still refuses goes to a file of its own in the data
        folder and is said lost (run_app lists it on the terminal). True when all is in the file."""
        if main.saver.flush():
            return True
        from .paths import data_dir

        try:
            self.kept_in = main.saver.writes.keep_elsewhere(data_dir() / "non-enregistre")
        except OSError:
            self.kept_in = None
        self.lost = main.saver.drop_all()
        return False

    def _ask_before_losing(self, main) -> None:
        from .screens.modals import UnsavedQuit

        def chosen(choice: str | None) -> None:
            if choice == "retry":
                if main.saver.flush():
                    self.exit(0)
                else:
                    self._ask_before_losing(main)
            elif choice == "lose":
                if not main.saver.pending:  # saved meanwhile by the automatic retry: nothing is lost
                    self.exit(0)
                    return
                # The person said so: gone, and said again on the terminal (exit status 1).
                self.lost = main.saver.drop_all()
                self.exit(return_code=1)

        self.push_screen(UnsavedQuit(main.saver.failure, main.saver.describe()), chosen)

    def action_command_palette(self) -> None:
        """Textual's palette, in French."""
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette",
                                            placeholder="Chercher une commande ou une section…"))

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = True) -> None:
        """Every toast is plain text: they name services, files and values typed or read from a file
        (« [/b] » in a service's name is no markup, and must not stop the program)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        main = self.main_screen()
        for c in COMMANDS:
            if c.palette and main is not None:
                yield SystemCommand(c.label, f"{c.help} ({key_label(c.id, every=True)})",
                                    lambda a=c.action: self._run_on_main(a))
        if main is not None:
            for n, section in enumerate(self.ref.sections, 1):
                yield SystemCommand(f"Section {n} : {section.title}", "Aller à cette section",
                                    lambda sid=section.id: main.show_section(sid))
        yield SystemCommand("Thème", "Changer les couleurs", self.action_change_theme)

    def _run_on_main(self, action: str) -> None:
        main = self.main_screen()
        if main is not None:
            self.call_later(main.run_action, action)


def stamp_ready() -> None:
    """Write the wall-clock time of the first interactive screen for a benchmark: process exit
    would also count the shutdown (background threads, interpreter teardown), which is not start-up."""
    stamp = os.environ.get("CONVERGENCE_READY_STAMP")
    if stamp:
        import time

        Path(stamp).write_text(repr(time.time()), encoding="utf-8")


def run_app(db: Path, referentiel: Path | None, *, review: bool = False) -> int:
    ref = load_referentiel(referentiel)
    settings = Settings.load()
    exists = db.exists() and db.stat().st_size > 0
    if review and not exists:
        raise UserError(f"{db} : campagne introuvable ; la revue s'ouvre sur une campagne existante.")
    # A campaign another instance is writing opens read-only, with a banner (never two writers).
    remembered = Remembered.load(settings)
    # Changes are journaled under the name this laptop knows (asked once when it knows none: the app).
    session = Session.open(db, ref, readonly=review, fallback_readonly=True, lazy=True,
                           author=known_author(remembered) or None) if exists else None
    app = ConvergenceApp(db, ref, session, review=review, settings=settings, remembered=remembered)
    try:
        app.run()
    finally:
        if app.session is not None:
            app.session.close()
    if app.lost:
        try:  # after a closed terminal there is nobody to read it: the file kept them (kept_in)
            print(f"{db} : {len(app.lost)} modification(s) NON enregistrée(s), abandonnée(s) en quittant :",
                  *(f"  - {line}" for line in app.lost), sep="\n", file=sys.stderr)
            if app.kept_in is not None:
                print(f"Elles sont gardées dans {app.kept_in} : ressaisissez-les.", file=sys.stderr)
        except OSError:
            pass
    return app.return_code or 0
