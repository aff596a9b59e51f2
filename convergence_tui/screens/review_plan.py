"""The review's plan tab: the gaps that still lack a blocker or an action, filtered by service, axis,
criterion or vendor, ticked, and one blocker or one action created over all of them at once."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from ..ui.commands import bindings, hint, key_label
from ..ui.theme import themed
from ..usecases.covers import Gap, covered, gaps
from ..widgets.fast_table import Column, FastTable
from ..widgets.picker import folded
from ..wording import counted


@dataclass(frozen=True)
class Covering:
    """What the review asks the main screen for: a blocker or an action over these gaps."""

    kind: str
    pairs: list[tuple[str, str]]


class GapTable(FastTable):
    BINDINGS = bindings("gaps")

    def action_tick(self) -> None:
        self.parent_tab().tick()

    def action_tick_all(self) -> None:
        self.parent_tab().tick_all()

    def action_create(self, kind: str) -> None:
        self.parent_tab().create(kind)

    def action_filter(self) -> None:
        self.parent_tab().query_one("#gaps-filter", Input).focus()

    def parent_tab(self) -> PlanTab:
        return next(a for a in self.ancestors if isinstance(a, PlanTab))


class PlanTab(Vertical):
    """`readonly`: the review of a campaign opened read-only lists the gaps and creates nothing."""

    def __init__(self, session, readonly: bool = False) -> None:
        super().__init__(id="review-plan-tab")
        self.session = session
        self.readonly = readonly
        blockers, actions = covered(session, "blocker"), covered(session, "action")
        every = gaps(session)
        self.lacking = {
            (g.service, g.criterion): (("frein" if (g.service, g.criterion) not in blockers else ""),
                                       ("action" if (g.service, g.criterion) not in actions else ""))
            for g in every}
        self.gaps: dict[str, Gap] = {f"{g.service}/{g.criterion}": g for g in every
                                     if any(self.lacking[(g.service, g.criterion)])}
        self.ticked: set[str] = set()
        data = session.data
        self.search = {key: folded(" ".join(filter(None, (data.name_of(g.service), g.axis, g.criterion,
                                                         data.value(g.service, "vendor")))))
                       for key, g in self.gaps.items()}

    def compose(self) -> ComposeResult:
        yield Static("", id="gaps-head", classes="view-title", markup=False)
        yield Input(placeholder=f"Filtrer ({key_label('gaps_filter')}) : service, axe, critère, éditeur…",
                    id="gaps-filter")
        yield GapTable([Column("tick", " ", 1), Column("crit", "Critère", 7), Column("service", "Service", 26),
                        Column("level", "Niv./dû", 7), Column("lacks", "Manque")], self._cells, id="review-plan")

    def on_mount(self) -> None:
        self._show("")

    def _cells(self, key: str) -> list:
        g = self.gaps[key]
        lacks = " et ".join(x for x in self.lacking[(g.service, g.criterion)] if x)
        return ["✓" if key in self.ticked else " ", g.criterion, self.session.data.name_of(g.service),
                f"{g.level}/{g.due}", themed(self, lacks, "warning")]

    def _show(self, text: str) -> None:
        wanted = folded(text.strip())
        keys = [k for k in self.gaps if wanted in self.search[k]]
        self.query_one(GapTable).set_rows(keys)
        self.shown = keys
        self._head()

    def _head(self) -> None:
        if not self.gaps:
            said = "Le plan est complet : chaque écart a un frein et une action qui atteint le niveau dû."
        elif self.readonly:
            said = f"{counted(len(self.gaps), 'écart')} sans frein ou sans action (lecture seule)."
        else:
            said = (f"{counted(len(self.gaps), 'écart')} sans frein ou sans action ; {len(self.shown)} "
                    f"affichés, {counted(len(self.ticked), 'coché')}. "
                    + hint("gaps_tick", "gaps_tick_all", "gaps_blocker", "gaps_action", "gaps_filter")
                    + " ; une cause se nomme une fois pour tous ses écarts.")
        self.query_one("#gaps-head", Static).update(said)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._show(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(GapTable).focus()

    def tick(self) -> None:
        table = self.query_one(GapTable)
        key = table.current_key
        if key is None:
            return
        self.ticked ^= {key}
        table.refresh_key(key)
        table.action_cursor(1)
        self._head()

    def tick_all(self) -> None:
        shown = set(self.shown)
        self.ticked = self.ticked - shown if shown <= self.ticked else self.ticked | shown
        self.query_one(GapTable).set_rows(self.shown)
        self._head()

    def create(self, kind: str) -> None:
        if self.readonly:
            self.notify("Lecture seule : rien n'est créé.", severity="warning")
            return
        keys = [k for k in self.gaps if k in self.ticked] or [k for k in (self.query_one(GapTable).current_key,) if k]
        if not keys:
            return
        pairs = [(self.gaps[k].service, self.gaps[k].criterion) for k in keys]
        self.screen.dismiss(Covering(kind, pairs))
