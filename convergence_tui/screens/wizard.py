"""First start on a new file: who and what, in five fields, then the questionnaire."""

from __future__ import annotations

import datetime as dt

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from ..paths import short_path
from ..referentiel.values import REGIONS, check_value
from ..ui.commands import bindings, key_label
from ..widgets.choice import Choice
from ..widgets.keybar import KeyBar


def default_semester(today: dt.date) -> tuple[str, str]:
    """The campaign label and reference date people usually pick: the current semester's end."""
    if today.month <= 6:
        return f"{today.year}-S1", f"30/06/{today.year}"
    return f"{today.year}-S2", f"31/12/{today.year}"


class WizardScreen(Screen):
    BINDINGS = bindings("wizard")

    def __init__(self, ref, path, author: str = "", today: dt.date | None = None) -> None:
        super().__init__()
        self.ref = ref
        self.path = path
        self.author = author
        self.label, self.date = default_semester(today or dt.date.today())

    def compose(self) -> ComposeResult:
        regions = [(f"{code} {name}", code) for code, name in sorted(REGIONS.items(), key=lambda kv: kv[1])]
        with VerticalScroll(id="wizard"):
            yield Static("Nouvelle campagne Convergence", classes="view-title")
            yield Static(f"Fichier : {short_path(self.path)}\nCes réponses pourront être modifiées ensuite.",
                         classes="view-intro", markup=False)
            with Vertical(classes="field"):
                yield Label("Région *", classes="field-label")
                yield Choice(regions, id="region")
            for wid, label, value, placeholder in (
                ("grades_name", "GRADeS (nom de la structure) *", "", "ex. GIP e-Santé Occitanie"),
                ("campaign_label", "Campagne (semestre) *", self.label, "AAAA-S1 ou AAAA-S2"),
                ("reference_date", "Date de référence des niveaux dus *", self.date, "JJ/MM/AAAA"),
                ("author", "Votre nom (auteur des modifications) *", self.author, "Prénom Nom"),
            ):
                with Vertical(classes="field"):
                    yield Label(label, classes="field-label")
                    yield Input(value, placeholder=placeholder, id=wid)
            yield Static("", id="wizard-error", markup=False)
            yield Button(f"Créer la campagne ({key_label('wizard_create')})", id="create", variant="primary")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#region", Choice).focus()

    @on(Button.Pressed, "#create")
    def _pressed(self) -> None:
        self.action_create()

    @on(Input.Submitted)
    def _next(self) -> None:
        self.focus_next()

    def action_create(self) -> None:
        values = {
            "region": self.query_one("#region", Choice).value,
            "grades_name": self.query_one("#grades_name", Input).value.strip(),
            "campaign_label": self.query_one("#campaign_label", Input).value.strip(),
            "reference_date": self.query_one("#reference_date", Input).value.strip(),
        }
        author = self.query_one("#author", Input).value.strip()
        problems = []
        form = self.ref.form_questions
        for key, raw in values.items():
            q = form.get(key)
            if q is None:
                continue
            if not raw:
                problems.append(f"{q.label} : à renseigner")
                continue
            _, error = check_value(q, raw)
            if error:
                problems.append(f"{q.label} : {error}")
        if not author:
            problems.append("Votre nom : à renseigner (il signe chaque modification dans le journal)")
        error = self.query_one("#wizard-error", Static)
        error.update("\n".join(f"⚠ {p}" for p in problems))
        error.display = bool(problems)
        if not problems:
            self.app.create_campaign({k: v for k, v in values.items() if k in form}, author)
