"""Sections, with completion, and the services under the grid with their status colour."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ..ui.messages import Navigate
from ..usecases.overview import section_progress
from ..wording import counted

STATUS_STYLE = {"convergent": "$success", "partially_convergent": "$warning", "non_convergent": "$error"}


TITLE = 23  # characters of a section's title (the whole title heads its view)


def section_mark(kind: str, progress) -> tuple[str, str]:
    """What the sidebar says of a section, 4 cells: the grid's completeness (DESIGN.md §4, the one
    figure called « complétude » everywhere), and for the other sections what is left to answer —
    « ✓ », « 3 ⚠ » —, or « — » when nothing is expected there (an empty list is not 100 % done)."""
    if progress.total == 0:
        return "   —", "dim"
    if kind == "grid":
        shown = int(progress.percent + 0.5)  # the figure every output gives (one decimal), to the unit
        return f"{shown:>3}%", "$warning" if progress.problems else "$success"
    if progress.problems:
        return f"{progress.problems:>2} ⚠" if progress.problems < 100 else "99+⚠", "$warning"
    return "   ✓", "$success"


def fit(text: str, width: int) -> str:
    """One line per entry: long names are cut with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


class Sidebar(OptionList):
    """A line-API list: hundreds of services cost nothing to show."""

    def __init__(self, session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self._grid_id = next((s.id for s in session.ref.sections if s.kind == "grid"), "")
        self._prompts: dict[str, Content] = {}  # option id -> what it shows (redrawn only when it changes)
        self._services: tuple[str, ...] = ()  # the services listed, in order
        self._names_seen: tuple[int, ...] = ()  # revision of the services' names when last drawn
        self._conflicts = 0  # merge conflicts open when last drawn

    def on_mount(self) -> None:
        self.rebuild()

    def rebuild(self) -> None:
        options: list[Option] = []
        self._prompts = {}
        self._services = tuple(self.session.data.live_ids("service")) if self.session.scored else ()
        self._names_seen = self.session.revision_of({"service"})
        for n, section in enumerate(self.session.ref.sections, 1):
            options.append(Option(self._prompt(f"section:{section.id}", self._section_prompt(n, section)),
                                  id=f"section:{section.id}"))
        # While merge conflicts remain, an entry that opens the merge screen (after the sections: 1–9
        # stay where they are).
        self._conflicts = len(self.session.conflicts()) if self.session.scored else 0
        if self._conflicts:
            options.append(Option(Content.styled(f"⚠ Fusion : {counted(self._conflicts, 'conflit')}", "bold $error"),
                                  id="merge:"))
        # The services after every section (so that the sections 1–9 stay in view on 24 lines), with
        # their scores, a moment after the first paint of a large campaign.
        if self._services:
            options.append(None)  # a separator
        for sid in self._services:
            options.append(Option(self._prompt(f"service:{sid}", self._service_prompt(sid)), id=f"service:{sid}"))
        highlighted = self.highlighted_option.id if self.highlighted_option else None
        self.set_options(options)
        if highlighted:
            self.highlight(highlighted)

    def _prompt(self, option_id: str, prompt: Content) -> Content:
        self._prompts[option_id] = prompt
        return prompt

    def _replace(self, option_id: str, prompt: Content) -> None:
        if self._prompts.get(option_id) != prompt:
            self._prompts[option_id] = prompt
            self.replace_option_prompt(option_id, prompt)

    def refresh_from_campaign(self, rescored: tuple[str, ...] = ("*",)) -> None:
        """After a change reached the file: each section's figure (recounted only where something
        changed: Session.cached), and the services whose scores or names moved. Every section is
        looked at, whatever the change: a blocker added from the grid moves the blockers' list."""
        if self.session.scored and (tuple(self.session.data.live_ids("service")) != self._services
                                    or len(self.session.conflicts()) != self._conflicts):
            self.rebuild()  # a service added or deleted, a conflict found or resolved
            return
        self.refresh_sections()
        if self.session.revision_of({"service"}) != self._names_seen:
            self._names_seen = self.session.revision_of({"service"})
            rescored = ("*",)
        self.refresh_services(rescored)

    # Prompts are assembled, not parsed from markup: 500 services are built at start-up.
    def _section_prompt(self, n: int, section) -> Content:
        key = str(n) if n <= 9 else " "
        title = fit(section.title, TITLE)
        head = Content.assemble((key, "bold"), f" {title}{' ' * (TITLE + 1 - len(title))}")
        if section.kind == "validation":
            return head
        if not self.session.section_loaded(section):
            return Content.assemble(head, ("   …", "dim"))
        return Content.assemble(head, section_mark(section.kind, section_progress(self.session, section)))

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

    def refresh_sections(self) -> None:
        for n, section in enumerate(self.session.ref.sections, 1):
            self._replace(f"section:{section.id}", self._section_prompt(n, section))

    def refresh_services(self, service_ids: tuple[str, ...]) -> None:
        if "*" in service_ids:
            service_ids = self._services
        for sid in service_ids:
            if sid in self._services:
                self._replace(f"service:{sid}", self._service_prompt(sid))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        kind, _, ident = (event.option.id or "").partition(":")
        if kind == "section":
            self.post_message(Navigate(ident))
        elif kind == "service":
            self.post_message(Navigate(self._grid_id, ident))
        elif kind == "merge":
            self.call_later(self.screen.run_action, "merge")
