"""The team lead's review: where the campaign stands, what is missing, the plan over time,
blockers, and the sign-off. Nothing here changes an answer; Entrée on a row jumps to its place.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from ..campaign.problems import KINDS
from ..report.format import STATUS_SHORT, date_fr, pct
from ..ui.commands import bindings, key_label
from ..ui.messages import Navigate
from ..ui.theme import themed
from ..usecases import review
from ..usecases.overview import region_figures
from ..widgets.fast_table import Column, FastTable
from ..widgets.keybar import KeyBar
from ..widgets.sidebar import STATUS_STYLE
from ..wording import counted

TABS = (
    ("completion", "Complétude"),
    ("services", "Services"),
    ("plan", "Plan"),
    ("timeline", "Calendrier"),
    ("blockers", "Freins"),
    ("evolution", "Évolution"),
)
SORTS = (("nom", lambda r: (r.figures["name"] or "").lower()),
         ("statut", lambda r: ("non_convergent", "partially_convergent", "convergent").index(r.figures["status"])),
         ("niveau", lambda r: r.figures["level"]),
         ("maturité", lambda r: r.figures["maturity"]["global"] or 0),
         ("conformité", lambda r: r.figures["conformity"]),
         ("écarts", lambda r: -len(r.figures["gaps"])),
         ("cible", lambda r: r.figures["target_reached_on"] or "9999"))
TIMELINE_CELLS = {"reached": ("███████", "success"), "target": ("──★────", "success"),
                  "action": ("───◆───", "warning"), "waiting": ("───────", "text-muted")}


class ReviewScreen(Screen):
    BINDINGS = bindings("review")

    def __init__(self, session, *, readonly: bool = False) -> None:
        super().__init__()
        self.session = session
        self.readonly = readonly
        self.tab = 0
        self.sort = 1
        self.problems = review.export_blockers(session)

    def compose(self) -> ComposeResult:
        yield Static("", id="review-head")
        yield Static("", id="review-tabs")
        yield Container(id="review-body")
        yield KeyBar()

    async def on_mount(self) -> None:
        self._refresh_head()
        await self.show_tab(0)

    def _refresh_head(self) -> None:
        state = review.signoff_state(self.session)
        _rows, overall = review.completion(self.session)
        mode = "  [lecture seule]" if self.readonly else ""
        (signoff, colour), (blocking, _) = review.state_lines(state, self.problems)
        lines = [
            Content.assemble(("Revue de la campagne", "bold"), mode, f" — complétude {overall.sentence()}"),
            Content.styled(signoff, f"bold {colour}"),
            Content(blocking),
        ]
        self.query_one("#review-head", Static).update(Content("\n").join(lines))

    def _refresh_tabs(self) -> None:
        parts = [Content.styled(f" {n} {label} ", "bold reverse" if i == self.tab else "dim")
                 for i, (n, (_, label)) in enumerate(((n, t) for n, t in enumerate(TABS, 1)))]
        self.query_one("#review-tabs", Static).update(Content("").join(parts))

    async def action_tab(self, index: int) -> None:
        await self.show_tab(index)

    async def action_next_tab(self) -> None:
        await self.show_tab((self.tab + 1) % len(TABS))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_set_baseline(self) -> None:
        from .baseline import ask_baseline

        ask_baseline(self)

    async def on_screen_resume(self) -> None:
        if TABS[self.tab][0] == "evolution":  # a baseline may have been set meanwhile (its dialog, the palette)
            await self.show_tab(self.tab)

    async def action_sort(self) -> None:
        if TABS[self.tab][0] == "services":
            self.sort = (self.sort + 1) % len(SORTS)
            await self.show_tab(self.tab)
            self.notify(f"Tri : {SORTS[self.sort][0]}")

    # --- tabs ----------------------------------------------------------------

    async def show_tab(self, index: int) -> None:
        self.tab = index
        self._refresh_tabs()
        body = self.query_one("#review-body", Container)
        await body.remove_children()
        view = getattr(self, f"_tab_{TABS[index][0]}")()
        await body.mount(view)
        table = view if isinstance(view, FastTable) else next(iter(view.query(FastTable)), None)
        if table is not None:
            table.focus()

    def _tab_completion(self) -> Vertical:
        rows, overall = review.completion(self.session)
        lines = [f"Complétude : {overall.sentence()}", "",
                 f"{'Section':<32} {'réponses':>9} {'attendues':>10} {'à revoir':>9}"]
        for r in rows:
            lines.append(f"{r.title[:32]:<32} {r.done:>9} {r.total:>10} {r.problems:>9}")
        items = [p for p in self.problems if not p.is_plan]
        table = FastTable([Column("kind", "Nature", 24), Column("where", "Où")],
                          lambda key: self._problem_cells(int(key)), id="review-problems")
        table.set_rows([str(i) for i, p in enumerate(self.problems) if p in items])
        return Vertical(Static("\n".join(lines), markup=False, classes="review-summary"),
                        Static(f"À compléter ({len(items)}) — {key_label('table_select')} pour y aller :",
                               classes="view-title"),
                        table)

    def _problem_cells(self, index: int) -> list:
        p = self.problems[index]
        style = "error" if p.kind in ("invalid", "signoff") else "warning"
        return [themed(self, KINDS[p.kind], style), review.problem_place(self.session, p)]

    def _tab_plan(self) -> Vertical:
        from .review_plan import PlanTab

        return PlanTab(self.session, readonly=self.readonly)

    def _tab_evolution(self) -> Vertical:
        from .review_evolution import EvolutionTab

        return EvolutionTab(self.session)

    def _tab_services(self) -> Vertical:
        name, key = SORTS[self.sort]
        rows = sorted(review.service_rows(self.session), key=key)
        self._service_rows = {r.id: r for r in rows}
        axes = self.session.ref.axis_ids
        columns = [Column("name", "Service", 24), Column("cat", "Catég.", 10), Column("status", "Statut", 10),
                   Column("level", "N", 2), *(Column(a, a, 5) for a in axes), Column("glob", "Glob.", 5),
                   Column("conf", "Conf.", 5), Column("gaps", "Éc.", 3), Column("target", "Cible", 10),
                   Column("change", "Depuis valid.")]
        table = FastTable(columns, self._service_cells, id="review-services")
        table.set_rows(["@region", *(r.id for r in rows)])
        head = (f"Services — trié par {name} ({key_label('review_sort')} pour changer) ; "
                f"{key_label('table_select')} : la grille du service")
        return Vertical(Static(head, classes="view-title", markup=False), table)

    def _service_cells(self, key: str) -> list:
        axes = self.session.ref.axis_ids
        if key == "@region":
            region = region_figures(self.session)
            c = region["status_counts"]
            return [Text("RÉGION", style="bold"), "", f"{c['convergent']}/{c['partially_convergent']}/"
                    f"{c['non_convergent']}", "", *(_num(region["maturity"][a]) for a in axes),
                    _num(region["maturity"]["global"]), "", "", "", f"complétude {pct(region['completeness'])}"]
        r = self._service_rows[key]
        f = r.figures
        style = STATUS_STYLE[f["status"]].lstrip("$")
        if r.level_change is None:
            change = "nouveau" if self.session.signoffs() else "—"
        else:
            change = f"niveau {r.level_change:+d}, maturité {r.maturity_change:+.1f}".replace(".", ",") \
                if r.maturity_change is not None else f"niveau {r.level_change:+d}"
        return [f["name"] or f["id"], f["category"], themed(self, STATUS_SHORT[f["status"]], style), str(f["level"]),
                *(_num(f["maturity"][a]) for a in axes), _num(f["maturity"]["global"]),
                f"{round(f['conformity'] * 100)}%", str(len(f["gaps"])), date_fr(f["target_reached_on"]), change]

    def _tab_timeline(self) -> Vertical:
        semesters, rows = review.timeline(self.session)
        self._timeline = {r.service_id: r for r in rows}
        columns = [Column("name", "Service", 24), *(Column(s, s, 7) for s in semesters), Column("end", "Cible")]
        table = FastTable(columns, self._timeline_cells, id="review-timeline")
        table.set_rows([r.service_id for r in rows])
        never = sum(1 for r in rows if r.reached_on is None)
        legend = ("◆ action due dans le semestre · ★ cibles finales atteintes · █ déjà atteintes — "
                  f"{counted(never, 'service')} que le plan n'amène jamais à la cible")
        return Vertical(Static(legend, classes="view-title", markup=False), table)

    def _timeline_cells(self, key: str) -> list:
        r = self._timeline[key]
        cells = [themed(self, *TIMELINE_CELLS[c]) for c in r.cells]
        end = date_fr(r.reached_on) if r.reached_on else themed(self, "jamais", "error")
        return [r.name, *cells, end]

    def _tab_blockers(self) -> Vertical:
        from ..usecases.covers import plan_items

        lines = [f"{'Catégorie':<10} {'freins':>7} {'services':>9}   actions prévues sur ces écarts, par porteur"]
        for b in review.blocker_summary(self.session):
            owners = ", ".join(f"{review.OWNER_LABELS.get(o, o)} {n}" for o, n in sorted(b.owners.items())) or "—"
            lines.append(f"{b.label:<10} {b.blockers:>7} {b.services:>9}   {owners}")
        # Each blocker and each action once, with how many gaps it covers (Entrée: its form).
        self._plan_items = {i.id: i for i in plan_items(self.session)}
        table = FastTable([Column("n", "N°", 4), Column("origin", "Origine", 10), Column("text", "Frein ou action"),
                           Column("gaps", "Écarts", 6), Column("svc", "Serv.", 5)],
                          self._plan_item_cells, id="review-items")
        table.set_rows(list(self._plan_items))
        return Vertical(Static("\n".join(lines), markup=False, classes="review-summary"), table)

    def _plan_item_cells(self, key: str) -> list:
        i = self._plan_items[key]
        return [i.number, i.origin, i.text, str(i.gaps), str(i.services)]

    # --- jumping ---------------------------------------------------------------

    def on_fast_table_row_selected(self, event: FastTable.RowSelected) -> None:
        event.stop()
        key = event.key
        if key is None or key == "@region":
            return
        grid = next(s.id for s in self.session.ref.sections if s.kind == "grid")
        if event.table.id == "review-plan":  # a gap: its row in the service's grid
            target = Navigate(grid, key, "level")
        elif event.table.id == "review-items":  # a blocker or an action: its form
            item = self._plan_items[key]
            section = self.session.ref.list_section(item.kind)
            target = Navigate(section.id if section else grid, key)
        elif event.table.id == "review-problems":
            p = self.problems[int(key)]
            target = Navigate(p.section, p.scope if p.scope != "campaign" else "", p.field)
        else:
            target = Navigate(grid, key)
        self.dismiss(target)


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")
