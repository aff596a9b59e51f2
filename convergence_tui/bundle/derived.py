"""The bundle's derived entries — `services.csv`, `plan.csv`, `rapport.html` — as a function of the
questionnaire, the answers document, its scores and the manifest's claims. `export` writes what this
returns and `verify` compares the bundle's bytes with it (DESIGN.md §6): one function, not two
copies, so that a derived entry can only say what the data produce.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..campaign.problems import Problem
from ..campaign.rebuilt import Rebuilt

DERIVED_ENTRIES = ("plan.csv", "rapport.html", "services.csv")


def report_bytes(rebuilt: Rebuilt, claims: Mapping[str, Any], blockers: list[Problem],
                 comparison: Mapping[str, Any] | None = None) -> bytes:
    """`comparison`: given by `convergence report` only. A bundle's report never carries it: it
    would say more than the bundle's data, and a verifier, who has no baseline, could not
    regenerate it."""
    from ..report import html
    from ..report.data import report_data

    return html.render(report_data(rebuilt, claims, blockers if claims["draft"] else [], comparison))


def derived_entries(
    rebuilt: Rebuilt, claims: Mapping[str, Any], blockers: list[Problem] | None = None
) -> dict[str, bytes]:
    """`claims`: the manifest without its file list; `blockers`: `rebuilt.blockers()` when already
    computed (a draft's report lists them)."""
    from ..report import tables

    if blockers is None:
        blockers = rebuilt.blockers() if claims["draft"] else []
    return {
        "services.csv": tables.services_csv(rebuilt.ref, rebuilt.scores_doc, rebuilt.answers),
        "plan.csv": tables.plan_csv(rebuilt.ref, rebuilt.answers),
        "rapport.html": report_bytes(rebuilt, claims, blockers),
    }
