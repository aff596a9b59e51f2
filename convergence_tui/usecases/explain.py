"""Words for what the figures do not say by themselves: why a service has its level (DESIGN.md §4's
rules applied to its answers), and what each level of a criterion means (its help text)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..referentiel.models import Criterion
from ..report.format import conformity_pct
from ..scoring import NA
from ..wording import counted

if TYPE_CHECKING:
    from .session import Session

_LEVEL_LINE = re.compile(r"^\s*(\d+)\s*[—–-]\s*(.+?)\s*[;.]?\s*$")


def level_meanings(criterion: Criterion) -> dict[int, str]:
    """The meaning of each level as the criterion's help gives it (« 0 — comptes locaux… » lines)."""
    out: dict[int, str] = {}
    for line in criterion.help.split("\n"):
        found = _LEVEL_LINE.match(line)
        if found:
            out.setdefault(int(found.group(1)), found.group(2))
    return out


def listed(items: list[str], limit: int | None) -> str:
    """« a, b et 3 autres »: the first `limit` of a list, and how many more."""
    if limit is None or len(items) <= limit:
        return ", ".join(items)
    if limit == 0:
        return counted(len(items), "critère")
    return ", ".join(items[:limit]) + f" et {counted(len(items) - limit, 'autre')}"


def status_reason(session: Session, service_id: str, limit: int | None = None) -> str:
    """Why the service is at its level, in one French sentence naming the criteria or the figure that
    decide it (the critical criteria below their due level, the conformity against the thresholds,
    the final targets not yet reached). `limit`: how many criteria to name in each list (the grid's
    line has two lines at 80×24; the whole sentence is in the criterion's reading, `i`)."""
    score = session.scores.service(service_id)
    if score is None:
        return ""
    data, scorer, ref = session.data, session.scorer, session.ref
    if not data.category_of(service_id):
        return "catégorie à choisir : sans elle, aucun critère ne s'applique"
    critical_unmet: list[tuple[str, int, int]] = []  # (criterion, level, due)
    below_final: list[str] = []
    for c in session.candidates(service_id):
        level = data.value(f"{service_id}/{c.id}", "level")
        if level == NA:
            continue
        have = level if isinstance(level, int) else 0  # a missing answer counts 0 (§4)
        due, final = scorer.due_level(c.id), scorer.final_level(c.id)
        if c.critical and due is not None and have < due:
            critical_unmet.append((c.id, have, due))
        if final is not None and have < final:
            below_final.append(f"{c.id} {have}/{final}")
    conformity = float(score.conformity)
    convergent, partial = ref.thresholds.convergent, ref.thresholds.partial
    said = f"conformité {conformity_pct(conformity)}"

    def critical(items: list[tuple[str, int, int]]) -> str:
        return listed([f"{cid} ★ {have}/{due}" for cid, have, due in items], limit)  # level/due, as gaps

    if score.status == "non_convergent":
        reasons = ["bloquant à 0 " + critical([x for x in critical_unmet if x[1] == 0])] \
            if any(x[1] == 0 for x in critical_unmet) else []
        if conformity < partial:
            reasons.append(f"{said} < {conformity_pct(partial)}")
        return "N0 non convergent : " + " ; ".join(reasons)
    if score.status == "partially_convergent":
        reasons = ["bloquant " + critical(critical_unmet)] if critical_unmet else []
        if conformity < convergent:
            reasons.append(f"{said} < {conformity_pct(convergent)}")
        return "N1 partiellement convergent : " + " ; ".join(reasons)
    if score.level == 2:
        return f"N2 convergent ({said}) : pour N3, cibles finales {listed(below_final, limit)}"
    return f"N3 convergent ({said}) : chaque critère atteint sa cible finale"


def left_by_category(session: Session, service_id: str) -> str | None:
    """What a service's new category leaves aside, said when the category changes: answers to
    criteria it no longer has (kept in the file, out of the scores and the export, back with the
    old category), and blockers or actions to attach to another criterion. None when nothing is."""
    from ..campaign.data import split_criterion_scope
    from ..campaign.orphans import find_orphans
    from ..campaign.validation import misplaced_criterion

    data = session.data
    criteria = {pair[1] for o in find_orphans(data)
                if (pair := split_criterion_scope(o.scope)) is not None and pair[0] == service_id}
    attached = [item.id for kind in ("blocker", "action") for item in data.live(kind)
                if service_id in data.services_of(item.id) and misplaced_criterion(data, item.id)]
    if not criteria and not attached:
        return None
    said = f"La catégorie {data.category_of(service_id) or '—'} n'a pas tous les critères de ce service."
    if criteria:
        said += (f" {counted(len(criteria), 'critère déjà renseigné')} ({listed(sorted(criteria), 3)}) : réponses "
                 "gardées dans le fichier, hors scores et export ; elles reviennent avec l'ancienne catégorie.")
    if attached:
        said += f" {counted(len(attached), 'frein ou action', 'freins ou actions')} : écarts couverts à revoir."
    return said
