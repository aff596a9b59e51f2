"""The questions of one scope (the campaign's form, or one item), with live visibility."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..campaign.data import CAMPAIGN
from ..campaign.validation import designates_nothing
from ..cells import Cell
from ..referentiel.models import Question, Section
from ..usecases.overview import offers_services, question_options, visible_questions
from ..usecases.writes import Flushed, SetAnswer
from .fields import Field
from .section import Place, SectionView, ViewContext


def estimated_rows(q: Question) -> int:
    """Rows a field takes (label, control, help, margin), to know which fields are in view at first."""
    control = {"long_text": 5, "multi_choice": 8, "covers": 8}.get(q.type, 3)
    return 1 + control + (len(q.help) // 70 + 1 if q.help else 0) + 1


class FormView(VerticalScroll, can_focus=False):
    """The questions of one scope: a form section of the questionnaire (FormSection), or the form of
    one item of a list (ItemsView opens it)."""

    DEFAULT_CLASSES = "form-view"

    def __init__(self, saver, questions: list[Question], scope: str, title: str = "", intro: str = "",
                 focus_field: str | None = None, defer_below: int | None = None, **kwargs) -> None:
        """`defer_below`: fields below that many rows are mounted only after the first frame
        (`revealed()`, which the screen calls): a section shows as soon as what is in view is ready."""
        super().__init__(**kwargs)
        self.defer_below = defer_below
        self._pending: list[Field] = []
        self._unsaved: set[str] = set()  # questions marked not saved
        self.focus_field = focus_field
        self.saver = saver
        self.session = saver.session
        self.questions = questions
        self.scope = scope
        self.title = title
        self.intro = intro

    def on_covers_list_group_wanted(self, event) -> None:
        """`g` in the gaps an item covers: the groups around the gap under the cursor, one to tick."""
        from ..usecases.covers import groups_from
        from .picker import FuzzyPicker

        event.stop()
        field = next((f for f in self.query(Field) if f.control is event.covers), None)
        service, _, criterion = event.value.partition("/")
        groups = groups_from(self.session, service, criterion) if field is not None else []
        if field is None or not groups:
            self.notify("Pas d'autre écart autour de celui-ci à cocher d'un coup.", severity="warning")
            return

        def chosen(index: int | None) -> None:
            if index is not None and field.is_attached:
                offered = {value for _, value in field.options}
                field.tick([v for s, c in groups[index].pairs if (v := f"{s}/{c}") in offered])

        self.app.push_screen(FuzzyPicker([g.caption for g in groups], placeholder="Quel groupe d'écarts cocher ?"),
                             chosen)

    def compose(self) -> ComposeResult:
        if self.title:
            yield Static(self.title, classes="view-title", markup=False)
        if self.intro:
            yield Static(self.intro, classes="view-intro", markup=False)
        visible = visible_questions(self.session, self.questions, self.scope)
        # The field to focus takes the focus as it mounts: the first frame already shows it there.
        target = None
        if self.focus_field is not None:
            target = self.focus_field if visible.get(self.focus_field) else next(
                (q.id for q in self.questions if visible[q.id]), None)
        rows = 2 + (len(self.intro) // 60 + 2 if self.intro else 0)
        placed = target is None
        for q in self.questions:
            # A value the file has not taken yet is shown as typed (the saver keeps it and retries).
            cell = self.saver.shown_cell(self.scope, q.id)
            if q.type == "item" and cell is not None and cell.error is None:
                # The item it designated is gone (or it is a text an earlier questionnaire let people
                # type): kept, and shown as the problem it is, until another is chosen.
                reason = designates_nothing(self.session.data, q, cell.value)
                cell = Cell(None, cell.raw, reason) if reason else cell
            field = Field(q, self.scope, cell, question_options(self.session, q, self.scope),
                          readonly=self.session.readonly)
            field.display = visible[q.id]
            if q.id == target:
                field.focus_on_mount = "scroll" if q.id == self.focus_field else "top"
                placed = True
            if placed and self.defer_below is not None and rows > self.defer_below:
                self._pending.append(field)
                continue
            yield field
            if field.display:
                rows += estimated_rows(q)

    def on_mount(self) -> None:
        self.saver.watch(self, self._saves_changed)
        self._saves_changed(Flushed())  # built while the file refuses writes: mark what waits
        if self.defer_below is None:
            self.call_after_refresh(self.revealed)

    def _saves_changed(self, report) -> None:
        """A saved answer shows why it is invalid (or no longer), and may show or hide questions that
        depend on it; one the file refused for now is marked not saved until it is in the file."""
        saved_here = False
        for write, result in report.done:
            if isinstance(write, SetAnswer) and write.scope == self.scope:
                saved_here = True
                field = self.field(write.field)
                if field is not None:
                    field.show_error(result.error)
        if saved_here:
            self.refresh_visibility()
        unsaved = {w.field for w in self.saver.pending
                   if isinstance(w, SetAnswer) and w.scope == self.scope} if self.saver.failing else set()
        for question_id in unsaved ^ self._unsaved:
            field = self.field(question_id)
            if field is not None:
                field.show_unsaved(question_id in unsaved)
        self._unsaved = unsaved

    def revealed(self) -> None:
        """Once shown: mount the fields held back, and bring the field asked for into view."""
        if self._pending:
            pending, self._pending = self._pending, []
            self.mount_all(pending)
        target = next((f for f in self.query(Field) if f.focus_on_mount == "scroll"), None)
        if target is not None:
            self.call_after_refresh(target.scroll_into_view)

    def focus_on(self, question_id: str) -> None:
        if not self.display:  # put away (another section was chosen) before this focus came due
            return
        if self._pending:  # asked for before the held-back fields came: bring them, then focus
            self.revealed()
            self.call_after_refresh(self.focus_on, question_id)
            return
        target = self.field(question_id) if question_id else None
        if target is not None and target.display:
            target.focus_control()
        else:
            self.focus_first()

    def fields(self) -> list[Field]:
        return list(self.query(Field))

    def field(self, question_id: str) -> Field | None:
        return next((f for f in self.query(Field) if f.question.id == question_id), None)

    def refresh_visibility(self) -> None:
        visible = visible_questions(self.session, self.questions, self.scope)
        for f in [*self.query(Field), *self._pending]:
            f.display = visible[f.question.id]

    def focus_first(self) -> None:
        first = next((f for f in self.query(Field) if f.display), None)
        if first is not None:
            first.focus_control(scroll=False)  # the top of the form stays in view with its title

    def focused_field(self) -> Field | None:
        focused = self.app.focused
        return next((w for w in (focused, *(focused.ancestors if focused else ())) if isinstance(w, Field)), None)


class FormSection(FormView, SectionView):
    """A form section of the questionnaire: the campaign's own questions."""

    KIND = "form"

    @classmethod
    def needs(cls, section: Section | None) -> str:
        # The campaign's own answers are read first; a question offering the services needs them read.
        return "essential" if section is not None and offers_services(section.questions) else "first"

    @classmethod
    def build(cls, saver, section: Section | None, place: Place, context: ViewContext) -> FormSection:
        assert section is not None
        view = cls(saver, section.questions, CAMPAIGN, title=section.title, intro=section.help,
                   focus_field=None if context.ahead else place.field, defer_below=context.height)
        view.section_id = section.id
        return view

    def shows(self) -> set[str]:
        # Its questions and those their visibility depends on; the services only if it offers them.
        questions = self.questions
        return ({f"campaign:{q.id}" for q in questions}
                | {f"campaign:{q.visible_if.question}" for q in questions if q.visible_if is not None}
                | ({"service"} if offers_services(questions) else set()))

    def land(self, place: Place) -> None:
        self.focus_on(place.field)

    def here(self) -> tuple[str, str] | None:
        field = self.focused_field()
        return (self.scope, field.question.id if field is not None else "")
