"""The validation section: the lead's sign-off of the campaign as it stands."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input, Label, Static

from .. import review
from ..errors import UserError


class ValidationView(VerticalScroll, can_focus=False):
    KIND = "validation"  # what the screen checks, without importing the class
    BINDINGS = [Binding("ctrl+s", "sign", "Valider", id="sign_off")]
    DEFAULT_CLASSES = "form-view"

    def __init__(self, session, section, author: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.section = section
        self.author = author

    def compose(self) -> ComposeResult:
        yield Static(self.section.title, classes="view-title", markup=False)
        yield Static(self.section.help, classes="view-intro", markup=False)
        yield Static("", id="signoff-state")
        with Vertical(classes="field"):
            yield Label("Nom du responsable *", classes="field-label")
            yield Input(self.author, placeholder="Prénom Nom", id="signoff-name")
        with Vertical(classes="field"):
            yield Label("Fonction *", classes="field-label")
            yield Input("", placeholder="ex. responsable délégué(e), directeur du GRADeS", id="signoff-role")
        yield Button("Valider la campagne (ctrl+s)", id="sign", variant="primary", disabled=self.session.readonly)
        yield Static("", id="signoff-changes", markup=False)

    def on_mount(self) -> None:
        self.refresh_state()
        # The button, not the name: one-letter and digit keys keep navigating from here.
        button = self.query_one("#sign", Button)
        if not button.disabled:
            button.focus(scroll_visible=False)

    def refresh_state(self) -> None:
        state = review.signoff_state(self.session)
        problems = self.session.problems()
        (signoff, colour), (blocking, _) = review.state_lines(state, problems)
        lines = [Content.styled(signoff, f"bold {colour}")]
        if problems:
            lines.append(Content(blocking.removesuffix(".") + " (n pour y aller, r pour la revue)."))
        if self.session.readonly:
            lines.append(Content.styled("Lecture seule : ouvrez la campagne sans --review pour la valider.", "bold"))
        self.query_one("#signoff-state", Static).update(Content("\n").join(lines))
        changes = self.query_one("#signoff-changes", Static)
        if state.withdrawn:
            shown = [f"  {r.at[:16].replace('T', ' ')}  {r.author} : {r.scope} {r.field}" for r in state.changes[:30]]
            more = len(state.changes) - len(shown)
            changes.update("Modifié depuis la validation :\n" + "\n".join(shown)
                           + (f"\n  … et {more} autre(s)" if more > 0 else ""))
        else:
            changes.update("")

    @on(Button.Pressed, "#sign")
    def _pressed(self) -> None:
        self.action_sign()

    def action_sign(self) -> None:
        name = self.query_one("#signoff-name", Input).value
        role = self.query_one("#signoff-role", Input).value
        try:
            record = review.sign_off(self.session, name, role)
        except UserError as exc:
            self.notify(exc.message, severity="error")
            return
        self.refresh_state()
        self.notify(f"Campagne validée par {record['name']} ({record['role']}).", title="Validation")
