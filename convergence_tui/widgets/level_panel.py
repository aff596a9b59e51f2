"""Live levels: the current service and the region, from the session's incremental scores."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from ..report.format import STATUS_SHORT
from ..usecases.overview import region_figures, service_figures
from .sidebar import STATUS_STYLE

BAR = 8


def bar(value: float | None, width: int = BAR) -> str:
    if value is None:
        return "[dim]" + "·" * width + "[/]"
    full = round(value / 100 * width)
    return "[$accent]" + "█" * full + "[/][dim]" + "░" * (width - full) + "[/]"


def num(value: float | None) -> str:
    return "  —" if value is None else f"{value:5.1f}".replace(".", ",")


class LevelPanel(Static):
    """Service figures as bars, region figures beside them: the two move together as you type."""

    def __init__(self, session, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.session = session
        self.service_id: str | None = None

    def on_mount(self) -> None:
        self.refresh_figures()

    def show_service(self, service_id: str | None) -> None:
        self.service_id = service_id
        self.refresh_figures()

    def refresh_figures(self) -> None:
        if not self.session.scored:  # just after opening: the scores arrive a moment later
            self._show("[dim]Calcul des niveaux…[/]")
            return
        axes = [*self.session.ref.axis_ids, "global"]
        figures = service_figures(self.session, self.service_id) if self.service_id else None
        region = region_figures(self.session)
        lines: list[str] = []
        name = ""
        if figures is not None:
            # The name is a service's, typed by a person: never read as markup (a "[" in it is text).
            name = (figures["name"] or figures["id"])[:26]
            style = STATUS_STYLE[figures["status"]]
            lines.append(f"[{style}]{STATUS_SHORT[figures['status']]}[/] · niveau {figures['level']} · "
                         f"conf. {round(figures['conformity'] * 100)} %")
            lines.append(f"[dim]{'':4} {'service':<{BAR}} {'':5} région[/]")
        else:
            lines.append(f"[dim]{'':4} {'':<{BAR}} {'':5} région[/]")
        for axis in axes:
            label = "Glob" if axis == "global" else axis
            if figures is not None:
                value = figures["maturity"].get(axis)
                lines.append(f"{label:<4} {bar(value)} {num(value)} {num(region['maturity'].get(axis))}")
            else:
                lines.append(f"{label:<4} {bar(region['maturity'].get(axis))} {num(region['maturity'].get(axis))}")
        counts = region["status_counts"]
        lines.append(f"[$success]{counts['convergent']}[/] conv · [$warning]{counts['partially_convergent']}[/] "
                     f"part · [$error]{counts['non_convergent']}[/] non")
        self._show("\n".join(lines), name)

    def _show(self, markup: str, name: str = "") -> None:
        # Unchanged figures are not redrawn: switching sections repaints only what changed.
        if (markup, name) != getattr(self, "_shown", None):
            self._shown = (markup, name)
            figures = Content.from_markup(markup)
            self.update(Content("\n").join([Content.styled(name, "bold"), figures]) if name else figures)
