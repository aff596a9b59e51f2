"""Which view of a section is on screen, which are kept hidden, and how one replaces another.

Only the current section is mounted; a view left for another is kept hidden and shown again as it
was while nothing it shows changed (Session.revision_of over `SectionView.shows()`): going back to a
section costs no widget mounting. A new view is drawn only once mounted with its fields and focus
(otherwise one frame shows an empty section, and drawing it costs as much as the real one). Views are
told apart by nothing but the `SectionView` protocol (widgets/section.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.containers import Container
from textual.widgets import Static

from ..widgets.section import HOME, STAGES, Place, SectionView, ViewContext, view_class


class Waiting(Static):
    """Shown in place of a view whose part of the campaign is still being read (a moment, on a large
    campaign just opened); the screen shows the view asked for as soon as it is read."""

    def __init__(self, place: Place) -> None:
        super().__init__("Lecture de la campagne…", classes="view-intro")
        self.place = place


class ViewHost:
    def __init__(self, content: Container, saver, context: Callable[[], ViewContext],
                 first_painted: Callable[[], None]) -> None:
        self.content = content
        self.saver = saver
        self.session = saver.session
        self.context = context
        self._first_painted = first_painted
        self.current: Any = None  # the view on screen (held: a replaced one lingers in the DOM a moment)
        self.kept: dict[str, tuple[Any, tuple[int, ...]]] = {}  # section id -> (hidden view, revision)
        self.painted = False

    def ready_for(self, kind: str, section) -> bool:
        return STAGES.index(self.session.stage) >= STAGES.index(view_class(kind).needs(section))

    def show(self, place: Place, *, rebuild: bool = False) -> Any:
        """Put the view of `place` on screen (reused, kept or built) and the cursor where asked; the
        view, or a `Waiting` one while its part of the campaign is being read."""
        section = None if place.section == HOME else self.session.ref.sections_by_id[place.section]
        kind = "home" if section is None else section.kind
        if not self.ready_for(kind, section):
            waiting = Waiting(place)
            self._present(waiting, place, keep=True)
            return waiting
        current = self.current
        view = (current if isinstance(current, SectionView) and current.section_id == place.section
                and not rebuild else self._take_kept(place.section))
        if view is None or not view.can_show(place):
            view = view_class(kind).build(self.saver, section, place, self.context())
            view.section_id = place.section
        self._present(view, place, keep=not rebuild)
        return view

    def _present(self, new, place: Place, keep: bool) -> None:
        current = self.current
        if new is current:
            new.land(place)
            return
        self.current = new
        if new.parent is None:  # a new view lands by itself once mounted (it was told where)
            self.content.run_worker(self._swap_in(new, current, keep), group="reveal")
        else:  # a kept one is shown again and moved now
            if current is not None:
                self._put_away(current, keep)
            new.display = True
            new.land(place)

    async def _swap_in(self, new, old, keep: bool) -> None:
        with self.content.app.batch_update():
            if old is not None:
                self._put_away(old, keep)
            await self.content.mount(new)
        if isinstance(new, SectionView):
            new.call_after_refresh(new.revealed)  # what needs the layout (scrolling to a field) comes now
        if not self.painted:  # the first view, with its fields and focus, is on screen
            self.painted = True
            self.content.call_after_refresh(self._first_painted)

    def _put_away(self, view, keep: bool) -> None:
        if keep and isinstance(view, SectionView):
            focused = view.app.focused
            if focused is not None and view in focused.ancestors_with_self:
                # Hiding the focused widget would send the focus to the sidebar after the new view took it.
                view.screen.set_focus(None)
            self.keep(view)
        else:
            view.remove()

    def keep(self, view) -> None:
        view.display = False
        self.kept[view.section_id] = (view, self.session.revision_of(view.shows()))

    def _take_kept(self, section_id: str):
        view, revision = self.kept.pop(section_id, (None, None))
        if view is not None and revision != self.session.revision_of(view.shows()):
            view.remove()
            return None
        return view

    def forget_kept(self) -> None:
        for view, _ in self.kept.values():
            view.remove()
        self.kept.clear()

    def build_ahead(self) -> None:
        """Build the form sections not shown yet, hidden: a form costs ~100 ms to build, showing a
        built one ~30-60 ms. Lists and the grid are built when first shown (within target)."""
        if not self.content.is_attached:
            return  # the program is quitting (e.g. ctrl+q pressed as it opened)
        for section in self.session.ref.sections:
            if section.kind != "form" or section.id in self.kept or getattr(self.current, "section_id", None) \
                    == section.id or not self.ready_for("form", section):
                continue
            view = view_class("form").build(self.saver, section, Place(section.id), ViewContext(ahead=True))
            view.section_id = section.id
            self.keep(view)
            self.content.mount(view)
