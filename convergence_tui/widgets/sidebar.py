"""Sections, with completion, and the services under the grid with their status colour."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ..ui.messages import Navigate
from ..usecases.overview import section_progress

STATUS_STYLE = {"convergent": "$success", "partially_convergent": "$warning", "non_convergent": "$error"}


def fit(text: str, width: int) -> str:
    """One line per entry: long names are cut with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


class Sidebar(OptionList):
    """A line-API list: hundreds of services cost nothing to show."""

    def __init__(self, session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self._grid_id = next((s.id for s in session.ref.sections if s.kind == "grid"), "")

    def on_mount(self) -> None:
        self.rebuild()

    def rebuild(self) -> None:
        options: list[Option] = []
        for n, section in enumerate(self.session.ref.sections, 1):
            options.append(Option(self._section_prompt(n, section), id=f"section:{section.id}"))
            # The services come with their scores, a moment after the first paint of a large campaign.
            if section.kind == "grid" and self.session.scored:
                for sid in self.session.data.live_ids("service"):
                    options.append(Option(self._service_prompt(sid), id=f"service:{sid}"))
        highlighted = self.highlighted_option.id if self.highlighted_option else None
        self.set_options(options)
        if highlighted:
            self.highlight(highlighted)

    # Prompts are assembled, not parsed from markup: 500 services are built at start-up.
    def _section_prompt(self, n: int, section) -> Content:
        key = str(n) if n <= 9 else " "
        title = fit(section.title, 19)
        head = Content.assemble((key, "bold"), f" {title}{' ' * (20 - len(title))}")
        if section.kind == "validation":
            return head
        if not self.session.section_loaded(section):
            return Content.assemble(head, ("…", "dim"))
        progress = section_progress(self.session, section)
        if progress.total == 0:
            return Content.assemble(head, ("—", "dim"))
        style = "$warning" if progress.problems else "$success"
        return Content.assemble(head, (f"{progress.percent:>3}%", style))

    def _service_prompt(self, sid: str) -> Content:
        score = self.session.scores.service(sid)
        name = fit(self.session.data.name_of(sid) or sid, 20)
        if score is None:
            return Content.assemble("  ", ("○", "dim"), f" {name}")
        return Content.assemble("  ", ("●", STATUS_STYLE[score.status]), f" {name}{' ' * (21 - len(name))}",
                                (f"N{score.level}", "dim"))

    def highlight(self, option_id: str) -> None:
        try:
            self.highlighted = self.get_option_index(option_id)
        except Exception:  # noqa: BLE001 - an option that no longer exists simply is not highlighted
            pass

    def refresh_sections(self, section_ids: set[str] | None = None) -> None:
        for n, section in enumerate(self.session.ref.sections, 1):
            if section_ids is None or section.id in section_ids:
                self.replace_option_prompt(f"section:{section.id}", self._section_prompt(n, section))

    def refresh_services(self, service_ids: tuple[str, ...]) -> None:
        if "*" in service_ids:
            service_ids = tuple(self.session.data.live_ids("service"))
        for sid in service_ids:
            try:
                self.replace_option_prompt(f"service:{sid}", self._service_prompt(sid))
            except Exception:  # noqa: BLE001 - a service added since: rebuild once
                self.rebuild()
                return

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        kind, _, ident = (event.option.id or "").partition(":")
        if kind == "section":
            self.post_message(Navigate(ident))
        elif kind == "service":
            self.post_message(Navigate(self._grid_id, ident))
