"""French figures shared by every human-readable output: percentages, conformity, statuses, numbers;
dates and counts come from `convergence_tui/wording.py` (re-exported here), one definition each."""

from __future__ import annotations

from ..wording import counted, date_fr, datetime_fr

STATUS_LABELS = {
    "convergent": "convergent",
    "partially_convergent": "partiellement convergent",
    "non_convergent": "non convergent",
}
STATUS_SHORT = {"convergent": "convergent", "partially_convergent": "partiel", "non_convergent": "non conv."}


def pct(value: float | None) -> str:
    """43.8 -> "43,8 %"; None -> "—"."""
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + " %"


def conformity_percent(value: float) -> float:
    """Conformity (0.857, DESIGN.md §4) as the percentage people read beside the maturity figures (85.7)."""
    return round(value * 100, 1)


def conformity_pct(value: float) -> str:
    """0.857 -> "85,7 %"."""
    return pct(conformity_percent(value))


def number(value: float | int) -> str:
    text = f"{value:,.2f}" if isinstance(value, float) and not float(value).is_integer() else f"{int(value):,}"
    return text.replace(",", "\u202f").replace(".", ",")


__all__ = ["STATUS_LABELS", "STATUS_SHORT", "conformity_pct", "conformity_percent", "counted", "date_fr",
           "datetime_fr", "number", "pct"]


def completeness_sentence(answered: int, expected: int) -> str:
    """Completeness as every screen and command says it (DESIGN.md §4's figure): « 96,6 % (2 612 des
    2 704 critères renseignés) », or a dash when nothing is to answer yet."""
    from ..scoring.document import completeness_percent

    if not expected:
        return "— (aucun critère à renseigner : ajoutez des services et leur catégorie)"
    share = pct(completeness_percent(answered, expected))
    return f"{share} ({number(answered)} des {number(expected)} critères renseignés)"
