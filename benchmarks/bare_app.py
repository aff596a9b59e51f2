"""The reference for start-up: a bare Textual app (Header, Static, Footer), started like ours."""

from __future__ import annotations

import os

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class Bare(App):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Bonjour")
        yield Footer()

    def on_mount(self) -> None:
        if os.environ.get("CONVERGENCE_EXIT_WHEN_READY"):
            self.call_after_refresh(self.exit)


if __name__ == "__main__":
    Bare().run()
