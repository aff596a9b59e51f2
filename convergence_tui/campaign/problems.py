"""What is missing, invalid or incomplete — everything that blocks a final export.

Problems come in the order a person walks the questionnaire (section, item,
question), so "next problem" is simply the next one in the list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..referentiel.models import Question, Section
from ..referentiel.values import is_visible
from ..scoring.engine import NA, CampaignScores, Scorer
from ..wording import counted
from .data import CAMPAIGN, CampaignData, criterion_scope
from .validation import dangling_reference, misplaced_criterion

KINDS = {
    "missing": "réponse obligatoire manquante",
    "invalid": "réponse invalide",
    "justification": "NA sans justification",
    "evidence": "niveau sans preuve",
    "no_blocker": "écart sans frein",
    "no_action": "écart sans action qui atteint le niveau dû",
    "signoff": "validation du responsable absente ou retirée",
    "conflict": "conflit de fusion à résoudre",
}
# Said after a count above one: « 45 réponses obligatoires manquantes ».
KIND_PLURALS = {
    "missing": "réponses obligatoires manquantes",
    "invalid": "réponses invalides",
    "justification": "NA sans justification",
    "evidence": "niveaux sans preuve",
    "no_blocker": "écarts sans frein",
    "no_action": "écarts sans action qui atteint le niveau dû",
    "signoff": "validations du responsable absentes ou retirées",
    "conflict": "conflits de fusion à résoudre",
}


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str
    section: str  # section id where it is fixed
    scope: str  # "campaign", an item id, or "<service>/<criterion>"
    field: str  # question id, or level / justification / evidence
    message: str  # French, names the place
    service: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "section": self.section, "scope": self.scope, "field": self.field,
                "service": self.service, "message": self.message}

    @property
    def is_plan(self) -> bool:
        return self.kind in ("no_blocker", "no_action")


def kind_count(kind: str, n: int) -> str:
    """« 1 niveau sans preuve », « 12 niveaux sans preuve »."""
    return counted(n, KINDS[kind], KIND_PLURALS[kind])


def kinds_summary(problems: Iterable[Problem], *, skip: tuple[str, ...] = ()) -> str:
    """How many of each kind, in KINDS order: « 45 réponses obligatoires manquantes, 3 écarts sans frein »."""
    counts = Counter(p.kind for p in problems)
    return ", ".join(kind_count(k, counts[k]) for k in KINDS if counts[k] and k not in skip)


def find_problems(data: CampaignData, scores: CampaignScores, scorer: Scorer) -> list[Problem]:
    out: list[Problem] = []
    for section in data.ref.sections:
        if section.kind == "form":
            out.extend(_form(data, section))
        elif section.kind == "list" and section.item:
            out.extend(_list(data, section))
        elif section.kind == "grid":
            out.extend(_grid(data, section, scores, scorer))
    return out


def _check_question(
    data: CampaignData, section: Section, scope: str, q: Question, values: dict[str, Any], place: str,
    service: str | None,
) -> Iterator[Problem]:
    if not is_visible(q, values):
        return
    cell = data.cell(scope, q.id)
    if cell is not None and cell.error:
        yield Problem("invalid", section.id, scope, q.id, f"{place} — {q.label} : {cell.error}", service)
    elif q.required and (cell is None or cell.value is None):
        yield Problem("missing", section.id, scope, q.id, f"{place} — {q.label} : {KINDS['missing']}", service)


def _form(data: CampaignData, section: Section) -> Iterator[Problem]:
    values = data.form_values()
    for q in section.questions:
        yield from _check_question(data, section, CAMPAIGN, q, values, section.title, None)


def _list(data: CampaignData, section: Section) -> Iterator[Problem]:
    kind = section.item
    assert kind is not None, "find_problems passes list sections that name their item"
    live_services = set(data.live_ids("service"))
    conditional = any(q.visible_if for q in section.questions)
    designating = [q for q in section.questions if q.type == "item"]
    for n, item in enumerate(data.live(kind), 1):
        # Only required or invalid answers, and items designated, can be problems: skip the rest cheaply.
        errors = data.errors.get(item.id, ())
        to_check = [q for q in section.questions if q.required or q.id in errors]
        dangling = [(q, reason) for q in designating if (reason := dangling_reference(data, item.id, q))]
        sid = item.id if kind == "service" else next(iter(data.services_of(item.id)), None)
        if to_check or dangling:
            # Visibility needs the item's values, only when a question to check has a condition.
            values = data.item_values(item.id) if conditional and any(
                q.visible_if for q in [*to_check, *(q for q, _ in dangling)]) else {}
            name = data.name_of(item.id) if kind == "service" else ""
            place = f"{section.title} n° {n}" + (f" « {name} »" if name else "")
            for q in to_check:
                yield from _check_question(data, section, item.id, q, values, place, sid)
            for q, reason in dangling:  # as the answers document says it: an invalid answer
                if is_visible(q, values):
                    yield Problem("invalid", section.id, item.id, q.id, f"{place} — {q.label} : {reason}", sid)
        if kind == "service":
            continue
        named = data.value(item.id, "service")
        if named is not None and named not in live_services:
            yield Problem("invalid", section.id, item.id, "service", f"{section.title} n° {n} : le service "
                          f"« {named} » a été supprimé ; choisissez un autre service")
        if (misplaced := misplaced_criterion(data, item.id)) is not None:
            field = "covers" if data.value(item.id, "covers") is not None else "criterion"
            yield Problem("invalid", section.id, item.id, field, f"{section.title} n° {n} : {misplaced}", sid)


def _grid(data: CampaignData, section: Section, scores: CampaignScores, scorer: Scorer) -> Iterator[Problem]:
    blockers = {pair for b in data.live("blocker") for pair in data.counted_covers(b.id)}
    best_action: dict[tuple[str, str], int] = {}
    for a in data.live("action"):
        level = data.value(a.id, "target_level")
        if data.value(a.id, "status") == "abandoned" or level is None:
            continue
        for key in data.counted_covers(a.id):
            best_action[key] = max(best_action.get(key, -1), level)
    by_id = {s.id: s for s in scores.services}
    for item in data.live("service"):
        sid = item.id
        name = data.name_of(sid) or sid
        category = data.category_of(sid)
        if not category:
            continue
        gaps = set(by_id[sid].gaps) if sid in by_id else set()
        for c in data.ref.candidates(category):
            scope = criterion_scope(sid, c.id)
            place = f"{section.title} « {name} » — {c.id}"
            level_cell = data.cell(scope, "level")
            level = data.value(scope, "level")
            if level_cell is not None and level_cell.error:
                yield Problem("invalid", section.id, scope, "level", f"{place} : {level_cell.error}", sid)
            elif level is None:
                yield Problem("missing", section.id, scope, "level", f"{place} : niveau non renseigné", sid)
            elif level == NA:
                if not data.value(scope, "justification"):
                    yield Problem("justification", section.id, scope, "justification",
                                  f"{place} : NA sans justification ; expliquez pourquoi le critère ne s'applique "
                                  "pas", sid)
            elif c.evidence_from is not None and level >= c.evidence_from and not data.value(scope, "evidence"):
                yield Problem("evidence", section.id, scope, "evidence",
                              f"{place} : niveau {level} sans preuve ; indiquez le document qui l'atteste", sid)
            if c.id in gaps:
                due = scorer.due_level(c.id)
                if (sid, c.id) not in blockers:
                    yield Problem("no_blocker", section.id, scope, "level",
                                  f"{place} : écart (niveau dû {due}) sans frein décrit", sid)
                if best_action.get((sid, c.id), -1) < (due or 0):
                    yield Problem("no_action", section.id, scope, "level",
                                  f"{place} : écart (niveau dû {due}) sans action qui l'atteint", sid)
