"""The questions of one scope (the campaign's form, or one item), with live visibility."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..overview import question_options, visible_questions
from ..referentiel.models import Question
from .fields import Field


class FormView(VerticalScroll, can_focus=False):
    DEFAULT_CLASSES = "form-view"

    def __init__(self, session, questions: list[Question], scope: str, title: str = "", intro: str = "",
                 focus_field: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.focus_field = focus_field
        self.session = session
        self.questions = questions
        self.scope = scope
        self.title = title
        self.intro = intro

    def compose(self) -> ComposeResult:
        if self.title:
            yield Static(self.title, classes="view-title", markup=False)
        if self.intro:
            yield Static(self.intro, classes="view-intro", markup=False)
        data = self.session.data
        visible = visible_questions(self.session, self.questions, self.scope)
        # The field to focus takes the focus as it mounts: the first frame already shows it there.
        target = None
        if self.focus_field is not None:
            target = self.focus_field if visible.get(self.focus_field) else next(
                (q.id for q in self.questions if visible[q.id]), None)
        for q in self.questions:
            field = Field(q, self.scope, data.cell(self.scope, q.id), question_options(self.session, q, self.scope),
                          readonly=self.session.readonly)
            field.display = visible[q.id]
            if q.id == target:
                field.focus_on_mount = "scroll" if q.id == self.focus_field else "top"
            yield field

    def on_mount(self) -> None:
        self.call_after_refresh(self.revealed)  # and again by the screen when it held the frames back

    def revealed(self) -> None:
        """Once laid out: bring the field asked for into view (see Field.focus_on_mount)."""
        target = next((f for f in self.query(Field) if f.focus_on_mount == "scroll"), None)
        if target is not None:
            target.scroll_visible(animate=False)

    def focus_on(self, question_id: str) -> None:
        if not self.display:  # put away (another section was chosen) before this focus came due
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
        for f in self.query(Field):
            f.display = visible[f.question.id]

    def focus_first(self) -> None:
        first = next((f for f in self.query(Field) if f.display), None)
        if first is not None:
            first.focus_control(scroll=False)  # the top of the form stays in view with its title
