"""French number and date formatting shared by every human-readable output."""

from __future__ import annotations

import datetime as dt

STATUS_LABELS = {
    "convergent": "convergent",
    "partially_convergent": "partiellement convergent",
    "non_convergent": "non convergent",
}
STATUS_SHORT = {"convergent": "convergent", "partially_convergent": "partiel", "non_convergent": "non conv."}


def pct(value: float | None) -> str:
    """43.8 -> "43,8 %"; None -> "—"."""
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + " %"


def number(value: float | int) -> str:
    text = f"{value:,.2f}" if isinstance(value, float) and not float(value).is_integer() else f"{int(value):,}"
    return text.replace(",", "\u202f").replace(".", ",")


def date_fr(value: str | dt.date | None) -> str:
    if value is None:
        return "—"
    d = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return d.strftime("%d/%m/%Y")
