"""The validation section: the lead's sign-off of the campaign as it stands."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input, Label, Static

from ..ui.commands import bindings, key_label
from ..ui.saving import Saver
from ..usecases import review
from ..usecases.writes import SignOff, shorten
from ..wording import counted, datetime_fr
from .section import Place, SectionView, ViewContext


class ValidationView(VerticalScroll, SectionView, can_focus=False):
    KIND = "validation"
    BINDINGS = bindings("validation")
    DEFAULT_CLASSES = "form-view"

    def __init__(self, saver: Saver, section, author: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.saver = saver
        self.session = saver.session
        self._shown_waiting: SignOff | None = None
        self.section = section
        # The lead the campaign names, else the name the program remembers (rebuilt each time shown).
        self.prefill = review.signoff_prefill(self.session, author)

    @classmethod
    def build(cls, saver, section, place: Place, context: ViewContext) -> ValidationView:
        view = cls(saver, section, context.author)
        view.section_id = section.id
        return view

    def shows(self) -> set[str]:
        # The sign-off's state is said again each time it is shown (land); the form is built again when
        # the lead section 1 names changes (what it is pre-filled with).
        return {"campaign:delegate_name", "campaign:delegate_role"}

    def land(self, place: Place) -> None:
        self.refresh_state()

    def compose(self) -> ComposeResult:
        yield Static(self.section.title, classes="view-title", markup=False)
        # What blocks, who signs, the button, and the section's long help last: at 80×24 the fields
        # to fill are on screen when the section opens.
        yield Static("", id="signoff-state")
        with Vertical(classes="field"):
            yield Label("Nom du responsable *", classes="field-label")
            yield Input(self.prefill[0], placeholder="Prénom Nom", id="signoff-name")
        with Vertical(classes="field"):
            yield Label("Fonction *", classes="field-label")
            yield Input(self.prefill[1], placeholder="ex. responsable délégué(e), directeur du GRADeS",
                        id="signoff-role")
        yield Button(f"Valider la campagne ({key_label('sign_off')})", id="sign", variant="primary",
                     disabled=self.session.readonly)
        yield Static("", id="signoff-changes", markup=False)
        yield Static(self.section.help, classes="view-intro", markup=False)

    def on_mount(self) -> None:
        self.saver.watch(self, self._saves_changed)
        self.refresh_state()
        # The button, not the name: one-letter and digit keys keep navigating from here.
        button = self.query_one("#sign", Button)
        if not button.disabled:
            button.focus(scroll_visible=False)
            self.call_after_refresh(button.scroll_visible, animate=False)

    def refresh_state(self) -> None:
        state = review.signoff_state(self.session)
        problems = self.session.problems()
        (signoff, colour), (blocking, _) = review.state_lines(state, problems)
        lines = [Content.styled(signoff, f"bold {colour}")]
        waiting = self._shown_waiting = self._waiting()
        if waiting is not None:
            lines.insert(0, Content.styled(
                f"⚠ Validation par {shorten(waiting.name, 30)} ({shorten(waiting.role, 30)}) NON ENREGISTRÉE : "
                "gardée ici, nouvel essai automatique.", "bold $error"))
        if problems:
            lines.append(Content(blocking.removesuffix(".") + f" ({key_label('next_problem')} pour y aller, "
                                 f"{key_label('review')} pour la revue)."))
        if self.session.readonly:
            lines.append(Content.styled("Lecture seule : ouvrez la campagne sans --review pour la valider.", "bold"))
        self.query_one("#signoff-state", Static).update(Content("\n").join(lines))
        changes = self.query_one("#signoff-changes", Static)
        if state.withdrawn:
            shown = [f"  {datetime_fr(r.at, local=True)}  {r.author} : {r.scope} {r.field}" for r in state.changes[:30]]
            more = len(state.changes) - len(shown)
            changes.update("Modifié depuis la validation :\n" + "\n".join(shown)
                           + (f"\n  … et {counted(more, 'autre')}" if more > 0 else ""))
        else:
            changes.update("")

    @on(Button.Pressed, "#sign")
    def _pressed(self) -> None:
        self.action_sign()

    def _waiting(self) -> SignOff | None:
        return next((w for w in self.saver.pending if isinstance(w, SignOff)), None)

    def action_sign(self) -> None:
        name = self.query_one("#signoff-name", Input).value
        role = self.query_one("#signoff-role", Input).value
        # Said once it is in the file (_saves_changed), shown as waiting while the file refuses it.
        self.saver.save(SignOff(name, role))

    def _saves_changed(self, report) -> None:
        record = next((r for w, r in report.done if isinstance(w, SignOff)), None)
        if record is not None or self._waiting() is not self._shown_waiting:
            self.refresh_state()
        if record is not None:
            self.notify(f"Campagne validée par {record['name']} ({record['role']}).", title="Validation")
            # Out of the text fields: the next key is the next step (e to export), not a letter typed
            # into the role, which would withdraw the sign-off just given.
            button = self.query_one("#sign", Button)
            if self.screen.focused in (self.query_one("#signoff-name"), self.query_one("#signoff-role")):
                button.focus(scroll_visible=False)
