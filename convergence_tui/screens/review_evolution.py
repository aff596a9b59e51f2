"""The review's « Évolution » tab: the campaign against the baseline (the region's previous bundle,
usecases/comparing.py), as `convergence compare` says it — maturity per axis then and now and the
services by status as charts, then what moved, service by service, and the actions that were due.
Without a baseline: how to set one, and the charts of now."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from ..errors import UserError
from ..report import evolution as words
from ..ui.commands import key_label
from ..ui.messages import Navigate
from ..ui.theme import themed
from ..usecases import comparing
from ..usecases.overview import region_figures
from ..widgets.charts import maturity_bars, status_bars
from ..widgets.fast_table import Column, FastTable

CHANGE_STYLE = {"up": "success", "down": "error", "added": "accent", "retired": "text-muted"}


def how_to_set() -> str:
    return (f"Donnez le paquet de la campagne précédente de la région : {key_label('review_baseline')} ici "
            f"(ou ctrl+p, « Paquet de référence »), ou dans un terminal : "
            f"{comparing.HOW_TO_SET}. Il est vérifié, puis retenu dans la campagne.")


class EvolutionTab(Vertical):
    def __init__(self, session) -> None:
        super().__init__(id="review-evolution-tab")
        self.session = session
        self.problem: str | None = None
        try:
            self.doc = comparing.campaign_comparison(session)
        except UserError as exc:  # a baseline this version cannot read: said, with the way out
            self.doc, self.problem = None, exc.message
        self.rows: dict[str, dict] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="evolution-head", markup=False)
        yield Static("", id="evolution-charts")
        if self.doc is not None:
            yield Static("", id="evolution-summary", markup=False)
            yield FastTable([Column("what", "Service ou action", 30), Column("change", "Référence → maintenant")],
                            self._cells, id="review-evolution")

    def on_mount(self) -> None:
        doc = self.doc
        if doc is None:
            head = [self.problem] if self.problem else ["Aucune référence : rien à comparer encore."]
            self.query_one("#evolution-head", Static).update("\n".join([*head, how_to_set()]))
        else:
            # Short: at 80×24 the charts and the first rows of the table must fit under it (the
            # reference in full: its dialog, `convergence compare`, the HTML report).
            head = [words.short_baseline_line(doc)]
            if doc["baseline"]["file_state"] != "present":
                head.append(words.file_line(doc))
            self.query_one("#evolution-head", Static).update("\n".join(head))
            self.query_one("#evolution-summary", Static).update(words.short_summary(doc))
            for s in words.changed_services(doc):
                self.rows[s["id"]] = s
            for a in doc["actions"]:
                self.rows[f"action:{a['id']}"] = a
            self.query_one(FastTable).set_rows(list(self.rows))
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        width = self.content_region.width or 76
        axes = [(a.id, a.label) for a in self.session.ref.axes] + [("global", "Global")]
        if self.doc is None:
            region = region_figures(self.session)
            now = [(label, None, region["maturity"].get(a)) for a, label in axes]
            maturity = maturity_bars("Maturité par axe", now, width, paired=False)
            statuses = status_bars("Services par statut", [("maintenant", region["status_counts"])], width)
        else:
            m = self.doc["region"]["maturity"]
            maturity = maturity_bars("Maturité", [(label, m[a]["baseline"], m[a]["current"]) for a, label in axes
                                                  if a in m], width)
            counts = self.doc["region"]["status_counts"]
            statuses = status_bars("Statuts", [("référence", {k: v["baseline"] for k, v in counts.items()}),
                                               ("maintenant", {k: v["current"] for k, v in counts.items()})], width)
        self.query_one("#evolution-charts", Static).update(Content("\n").join([maturity, statuses]))

    def _cells(self, key: str) -> list:
        row = self.rows[key]
        if key.startswith("action:"):
            outcome = words.action_outcome(row)
            return [f"Action : {row['title'] or row['id']}",
                    themed(self, f"échue le {words.date_fr(row['due'])} : {outcome}",
                           "success" if row["happened"] else "warning")]
        change = words.service_change(row)
        if row["state"] != "kept":
            style = CHANGE_STYLE[row["state"]]
        else:
            style = CHANGE_STYLE.get(row["status"]["change"]) or CHANGE_STYLE.get(row["level"]["change"]) or "text"
        return [row["name"], themed(self, change, style)]

    def on_fast_table_row_selected(self, event: FastTable.RowSelected) -> None:
        """Entrée: a service's grid, or an action's form (when they still exist)."""
        event.stop()
        key = event.key
        if key is None:
            return
        data = self.session.data
        item = key.removeprefix("action:")
        if item not in data.items or not data.is_live(item):
            self.notify("Plus dans la campagne : rien à ouvrir.", severity="warning")
            return
        if key.startswith("action:"):
            section = self.session.ref.list_section("action")
            target = Navigate(section.id, item) if section else None
        else:
            grid = next((s for s in self.session.ref.sections if s.kind == "grid"), None)
            target = Navigate(grid.id, item) if grid else None
        if target is not None:
            self.screen.dismiss(target)
