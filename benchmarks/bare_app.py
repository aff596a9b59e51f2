"""The reference for start-up: a bare Textual app (Header, Static, Footer), started like ours."""

from __future__ import annotations

import os
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class Bare(App):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Bonjour")
        yield Footer()

    def on_mount(self) -> None:
        if os.environ.get("CONVERGENCE_EXIT_WHEN_READY"):
            self.call_after_refresh(self._stamp_and_exit)

    def _stamp_and_exit(self) -> None:
        # As convergence_tui.app.stamp_ready (not imported: the bare app must not load our package).
        stamp = os.environ.get("CONVERGENCE_READY_STAMP")
        if stamp:
            Path(stamp).write_text(repr(time.time()), encoding="utf-8")
        self.exit()


if __name__ == "__main__":
    Bare().run()
