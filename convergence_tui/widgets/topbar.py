"""The top line: the save state first, then whether the file is read-only (a long path or region
must never push either out of sight at 80 columns), then the campaign and its file."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from ..paths import short_path
from ..referentiel.values import REGIONS


class TopBar(Static):
    def __init__(self, saver, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.saver = saver
        self.session = saver.session
        self._shown: tuple[str, str] | None = None

    def on_mount(self) -> None:
        self.saver.watch(self, lambda report: self.refresh_state())
        self.refresh_state()

    def refresh_state(self) -> None:
        session = self.session
        info = session.data.campaign_info()
        region = REGIONS.get(info["region"] or "", "région ?")
        mode = ("LECTURE SEULE (ouvert ailleurs) · " if session.locked_elsewhere
                else "lecture seule · " if session.readonly else "")
        waiting = len(self.saver.pending)
        state = (f"[$error]⚠ NON ENREGISTRÉ ({waiting}) — nouvel essai automatique[/]" if self.saver.failing
                 else "[$warning]● saisie en cours[/]" if waiting else "[$success]● enregistré[/]")
        head = f"{mode}Convergence · {region} {info['label'] or ''} · {short_path(session.path)}"
        if (state, head) == self._shown:
            return  # redrawing the same bar on every save costs a layout pass
        self._shown = (state, head)
        self.update(Content.assemble(Content.from_markup(state), "  ", Content(head)))
